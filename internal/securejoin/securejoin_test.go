package securejoin

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestJoinStaysInside(t *testing.T) {
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
		got, err := Join(root, tc.in)
		if err != nil {
			t.Errorf("Join(%q): %v", tc.in, err)
			continue
		}
		if want := filepath.Join(root, tc.want); got != want {
			t.Errorf("Join(%q) = %s, want %s", tc.in, got, want)
		}
	}
	if _, err := Join(root, "/loop/x"); err == nil || !strings.Contains(err.Error(), "too many symbolic links") {
		t.Errorf("symlink loop: %v", err)
	}
}
