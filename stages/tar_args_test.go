package stages

import (
	"slices"
	"testing"
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
