package manifest

import (
	"strings"
	"testing"
)

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
