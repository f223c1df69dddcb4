package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// vm's bad input exits 2 before qemu starts, saying what is wrong.
func TestVMBadInput(t *testing.T) {
	image := filepath.Join(t.TempDir(), "disk.raw")
	if err := os.WriteFile(image, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"vm"}, "vm takes one IMAGE"},
		{[]string{"vm", "/nonexistent.qcow2"}, "no such file or directory"},
		{[]string{"vm", "--until", "running", image}, `--until "running": the state to wait for is login`},
		{[]string{"vm", "--until", "login", "--expect", "x", image}, "--until and --expect exclude each other"},
		{[]string{"vm", "--append", "console=ttyS0", image}, "--initrd and --append go with --kernel"},
		{[]string{"vm", "--kernel", "/nonexistent/vmlinuz", image}, "/nonexistent/vmlinuz: no such file or directory"},
	} {
		var out, errs bytes.Buffer
		if code := Main(c.args, nil, &out, &errs); code != exitInvalid || !strings.Contains(errs.String(), c.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", c.args, code, errs.String(), c.want)
		}
	}
}
