//go:build integration

package integration

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The apt stage runs the tree's initramfs-tools in-process
// (internal/shrun), and compresses the archive with gzip's stand-in
// (every core, internal/standin). The archive it makes is the same bytes
// as the one the tree's own mkinitramfs makes under dash with the tree's
// gzip, in the same tree (a Dockerfile step, SOURCE_DATE_EPOCH being the
// pipeline's source-epoch), here with cryptsetup's, lvm2's, mdadm's and
// busybox's hooks besides initramfs-tools' own. (The reference tree is
// checked the same way by hand: bench/results/initramfs.md.)
func TestInProcessInitramfs(t *testing.T) {
	manifest := manifestFile(t, "integration/testdata/initramfs-hooks.json")
	out := t.TempDir()
	log := run(t, 0, cli, "build", "--progress", "plain", "--export", "tree", "--output-directory", out, manifest)
	for _, fallback := range []string{"the tree's shell runs update-initramfs", "update-initramfs again in the tree's shell"} {
		if strings.Contains(log, fallback) {
			t.Errorf("the apt stage's update-initramfs did not run in-process (%q):\n%s", fallback, tail(log, 40))
		}
	}
	tree := filepath.Join(out, "tree")
	kernels, _ := filepath.Glob(filepath.Join(tree, "lib/modules/*"))
	if len(kernels) != 1 {
		t.Fatalf("kernels in the tree: %q", kernels)
	}
	version := filepath.Base(kernels[0])
	made, err := os.ReadFile(filepath.Join(tree, "boot", "initrd.img-"+version))
	if err != nil {
		t.Fatal(err)
	}

	df := t.TempDir()
	dockerfile := "FROM scratch AS tree\nCOPY tree /\n" +
		"RUN SOURCE_DATE_EPOCH=1700000000 mkinitramfs -o /real.img " + version + "\n" +
		"FROM scratch\nCOPY --from=tree /real.img /\n"
	if err := os.WriteFile(filepath.Join(df, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	res := t.TempDir()
	run(t, 0, "buildctl", "build", "--progress", "plain", "--frontend", "dockerfile.v0",
		"--local", "context="+out, "--local", "dockerfile="+df, "--output", "type=local,dest="+res)
	real, err := os.ReadFile(filepath.Join(res, "real.img"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(made, real) {
		t.Errorf("the apt stage's initramfs is the tree's gzip's bytes: not compressed by the stand-in")
	}
	made, real = gunzip(t, made), gunzip(t, real)
	if !bytes.Equal(made, real) {
		t.Fatalf("the apt stage's initramfs archive (%d bytes, sha256 %x) differs from the tree's mkinitramfs's (%d bytes, sha256 %x)",
			len(made), sha256.Sum256(made), len(real), sha256.Sum256(real))
	}
	t.Logf("initramfs archive: %d bytes, sha256 %x, the same from both", len(made), sha256.Sum256(made))
}

// gunzip is the content of the gzip file b.
func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
