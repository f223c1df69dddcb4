package stages

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSecureJoinStaysInside(t *testing.T) {
	root := t.TempDir()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "etc/ssh"), 0o755))
	must(os.Symlink("/etc", filepath.Join(root, "abs")))
	must(os.Symlink("../../../../..", filepath.Join(root, "etc/up")))
	must(os.Symlink("/", filepath.Join(root, "etc/ssh/root")))
	must(os.Symlink("loop", filepath.Join(root, "loop")))
	for _, tc := range []struct{ in, want string }{
		{"/etc/passwd", "etc/passwd"},
		{"/../../etc/passwd", "etc/passwd"},
		{"/abs/passwd", "etc/passwd"},
		{"/etc/up/tmp/x", "tmp/x"},
		{"/etc/ssh/root/../../shadow", "shadow"},
		{"/new/dir/file", "new/dir/file"},
		{"/", ""},
	} {
		got, err := SecureJoin(root, tc.in)
		if err != nil {
			t.Errorf("SecureJoin(%q): %v", tc.in, err)
			continue
		}
		if want := filepath.Join(root, tc.want); got != want {
			t.Errorf("SecureJoin(%q) = %s, want %s", tc.in, got, want)
		}
	}
	if _, err := SecureJoin(root, "/loop/x"); err == nil || !strings.Contains(err.Error(), "too many symbolic links") {
		t.Errorf("symlink loop: %v", err)
	}
}
