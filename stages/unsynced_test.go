package stages

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Disk tools run with libeatmydata preloaded when the buildroot has it,
// their own environment kept; without it, as they are.
func TestWithoutSync(t *testing.T) {
	dir := t.TempDir()
	lib := filepath.Join(dir, "x86_64-linux-gnu", "libeatmydata.so")
	if err := os.MkdirAll(filepath.Dir(lib), 0o755); err != nil {
		t.Fatal(err)
	}
	old := libEatMyData
	t.Cleanup(func() { libEatMyData = old })
	libEatMyData = filepath.Join(dir, "*", "libeatmydata.so*")

	run := func() string {
		var out bytes.Buffer
		rt := &Runtime{Stdout: &out, Stderr: &bytes.Buffer{}}
		cmd := exec.Command("sh", "-c", `echo "$LD_PRELOAD|$KEEP"`)
		cmd.Env = []string{"KEEP=kept", "PATH=" + os.Getenv("PATH")}
		if err := withoutSync(rt).Exec(cmd); err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(out.String())
	}
	if got := run(); got != "|kept" {
		t.Errorf("without the library: %q", got)
	}
	if err := os.WriteFile(lib, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := run(); got != lib+"|kept" {
		t.Errorf("with the library: %q, want %q", got, lib+"|kept")
	}
}
