//go:build integration

package integration

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// An output directory on a full filesystem fails the build with a clear
// error and leaves neither the export's final name nor a temporary
// directory behind: through BuildKit's tar exporter (OSBUILDKIT_EXPORT=tar)
// and when the CLI copies a few files out itself.
func TestOutputDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root")
	}
	// 8 MiB that do not compress or leave holes, as the tree's one file.
	srv := newFaultServer(t)
	content := make([]byte, 8<<20)
	rand.Read(content)
	path := "/ok/" + t.Name()
	srv.mu.Lock()
	srv.content[path] = content
	srv.mu.Unlock()
	manifest := sourceManifest(t, srv.URL+path, fmt.Sprintf("sha256:%x", sha256.Sum256(content)))
	for _, export := range []string{"tar", ""} {
		t.Run("OSBUILDKIT_EXPORT="+export, func(t *testing.T) {
			t.Setenv("OSBUILDKIT_EXPORT", export)
			dir := t.TempDir()
			if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m", "osbuildkit-test", dir).CombinedOutput(); err != nil {
				t.Fatalf("mounting a tmpfs: %v: %s", err, out)
			}
			t.Cleanup(func() { exec.Command("umount", dir).Run() })
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
			checkFile(t, filepath.Join(dir, "res", "resources", "curl-file"), content, 0o644, 0, 0)
		})
	}
}
