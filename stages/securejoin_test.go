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

func TestParseLocation(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Location
	}{
		{"tree:///etc/x", Location{Scheme: "tree", Path: "/etc/x"}},
		{"input://tree/", Location{Scheme: "input", Name: "tree", Path: "/", Contents: true}},
		{"input://f/sha256:ab", Location{Scheme: "input", Name: "f", Path: "/sha256:ab"}},
		{"mount://root/boot/", Location{Scheme: "mount", Name: "root", Path: "/boot/", Contents: true}},
	} {
		got, err := ParseLocation(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseLocation(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"/etc", "tree://etc", "input:///x", "ftp://x/y", "tree:///a/../../b", "mount://m/.."} {
		if _, err := ParseLocation(bad); err == nil {
			t.Errorf("ParseLocation(%q) succeeded", bad)
		}
	}
}

func FuzzParseLocation(f *testing.F) {
	for _, s := range []string{"tree:///x", "input://a/b/", "mount://m/", "tree:///../x", "input://", "://"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLocation(s)
		if err != nil {
			return
		}
		if !strings.HasPrefix(l.Path, "/") {
			t.Fatalf("%q: path %q is not absolute", s, l.Path)
		}
		for _, c := range strings.Split(l.Path, "/") {
			if c == ".." {
				t.Fatalf("%q: path %q escapes", s, l.Path)
			}
		}
	})
}
