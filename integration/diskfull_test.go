//go:build integration

package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// An output directory on a full filesystem fails the build with a clear
// error and leaves neither the export's final name nor a temporary
// directory behind.
func TestOutputDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m", "osbuildkit-test", dir).CombinedOutput(); err != nil {
		t.Fatalf("mounting a tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	// doc-1's tree holds one file, here of 16 MiB.
	manifest := manifestFile(t, "manifest/testdata/osbuild-docs/doc-1.json", func(s string) string {
		return strings.Replace(s, `"size": "1G"`, `"size": "16M"`, 1)
	})
	out := run(t, 1, cli, "build", "--progress", "plain", "--output-directory", dir, manifest)
	wantContains(t, "output", out, "no space left on device", "nothing was moved into place")
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the failed export left %v in %s", entries, dir)
	}
	// With room, the same build exports (the full disk was the only fault).
	if out, err := exec.Command("mount", "-o", "remount,size=64m", dir).CombinedOutput(); err != nil {
		t.Fatalf("growing the tmpfs: %v: %s", err, out)
	}
	run(t, 0, cli, "build", "--progress", "plain", "--output-directory", dir, manifest)
	if fi, err := os.Stat(filepath.Join(dir, "tree", "newfile")); err != nil || fi.Size() != 16<<20 {
		t.Errorf("after making room: %v %v", fi, err)
	}
}
