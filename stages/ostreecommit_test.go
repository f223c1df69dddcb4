package stages

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

func TestUnstorableFindsSpecialFiles(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("mknod needs root")
	}
	tree := t.TempDir()
	os.MkdirAll(filepath.Join(tree, "dev"), 0o755)
	if err := exec.Command("mknod", filepath.Join(tree, "dev/null"), "c", "1", "3").Run(); err != nil {
		t.Fatal(err)
	}
	exec.Command("mkfifo", filepath.Join(tree, "fifo")).Run()
	os.WriteFile(filepath.Join(tree, "file"), nil, 0o644)
	got, err := unstorable(tree)
	if err != nil || !slices.Equal(got, []string{"./dev/null", "./fifo"}) {
		t.Errorf("unstorable = %q, %v", got, err)
	}
}
