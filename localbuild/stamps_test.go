package localbuild

import (
	"os"
	"path/filepath"
	"testing"
)

// An export is current while the same build's files are there as it left
// them: another build, or a changed or added file, sends it again.
func TestStampsFollowTheOutput(t *testing.T) {
	t.Setenv("OSBUILDKIT_CACHE", t.TempDir())
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	if err := os.MkdirAll(tree, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tree, "disk.qcow2"), []byte("disk"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := &output{dir: dir, names: []string{"tree"}}
	if out.stamps("build-1").current() {
		t.Fatal("current before any build was recorded")
	}
	if err := out.stamps("build-1").save(); err != nil {
		t.Fatal(err)
	}
	if !out.stamps("build-1").current() {
		t.Error("not current right after the build")
	}
	if out.stamps("build-2").current() {
		t.Error("current for another build")
	}
	if err := os.WriteFile(filepath.Join(tree, "extra"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if out.stamps("build-1").current() {
		t.Error("current after a file was added")
	}
}
