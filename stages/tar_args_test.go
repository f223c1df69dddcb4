package stages

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// tar runs with osbuild's defaults, and what the manifest says wins.
func TestTarArgs(t *testing.T) {
	no, epoch := false, int64(1700000000)
	for _, tc := range []struct {
		o     TarOptions
		epoch *int64
		want  []string
	}{
		{TarOptions{}, nil, []string{"--create", "--format=gnu", "--sort=name", "--acls", "--selinux", "--xattrs", "--xattrs-include=*"}},
		{TarOptions{NumericOwner: true, SELinux: &no, ACLs: &no, Xattrs: &no, Sparse: true, Transform: "s,^,x/,", Format: "posix"}, &epoch,
			[]string{"--create", "--format=posix", "--sort=name", "--numeric-owner", "--sparse", "--transform", "s,^,x/,",
				"--mtime=@1700000000", "--clamp-mtime", "--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime"}},
		// gnu with ACLs, labels or xattrs writes pax headers too.
		{TarOptions{}, &epoch, []string{"--create", "--format=gnu", "--sort=name", "--acls", "--selinux", "--xattrs", "--xattrs-include=*",
			"--mtime=@1700000000", "--clamp-mtime", "--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime"}},
		// without them GNU tar refuses --pax-option.
		{TarOptions{SELinux: &no, ACLs: &no, Xattrs: &no}, &epoch, []string{"--create", "--format=gnu", "--sort=name", "--mtime=@1700000000", "--clamp-mtime"}},
	} {
		if got := tarArgs(&tc.o, tc.epoch); !slices.Equal(got, tc.want) {
			t.Errorf("%+v:\n got %q\nwant %q", tc.o, got, tc.want)
		}
	}
	for name, want := range map[string]string{"a.tar.gz": "gzip", "a.tgz": "gzip", "a.tar.xz": "xz", "a.tar.zst": "zstd", "a.tar": "none", "a.tar.bz2": "bzip2"} {
		if got := autoCompression(name); got != want {
			t.Errorf("auto compression of %s: %s, want %s", name, got, want)
		}
	}
}

// With a source-epoch, the archive of a tree does not change when the
// tree's files are read or their inodes touched again (atime, ctime): the
// same tree is the same bytes.
func TestTarIsReproducible(t *testing.T) {
	if _, err := exec.LookPath("tar"); err != nil {
		t.Skip("no tar")
	}
	epoch := int64(1700000000)
	src := t.TempDir()
	os.MkdirAll(filepath.Join(src, "d"), 0o755)
	os.WriteFile(filepath.Join(src, "d", "f"), []byte("x"), 0o644)
	archive := func() []byte {
		out := filepath.Join(t.TempDir(), "a.tar")
		args := append(tarArgs(&TarOptions{}, &epoch), "--file", out, "--directory", src, ".")
		if b, err := exec.Command("tar", args...).CombinedOutput(); err != nil {
			t.Fatalf("tar: %v\n%s", err, b)
		}
		b, _ := os.ReadFile(out)
		return b
	}
	first := archive()
	time.Sleep(20 * time.Millisecond)
	os.ReadFile(filepath.Join(src, "d", "f"))
	os.Chmod(filepath.Join(src, "d", "f"), 0o644)
	os.Chmod(filepath.Join(src, "d"), 0o755)
	if !bytes.Equal(first, archive()) {
		t.Error("the archive changed with the files' atime and ctime")
	}
}
