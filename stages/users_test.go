package stages

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A user's home, .ssh or authorized_keys that is a symlink pointing out of
// the tree is followed inside the tree: the keys never land outside.
func TestAuthorizedKeysStayInside(t *testing.T) {
	for _, link := range []string{"home/u", "home/u/.ssh", "home/u/.ssh/authorized_keys"} {
		rt, _ := runtimeFor(t, "org.osbuild.users", nil)
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(os.MkdirAll(filepath.Join(rt.Tree, "etc"), 0o755))
		must(os.WriteFile(filepath.Join(rt.Tree, "etc/passwd"), []byte(fmt.Sprintf("u:x:%d:%d::/home/u:/bin/sh\n", os.Getuid(), os.Getgid())), 0o644))
		outside := t.TempDir()
		target := outside
		if filepath.Base(link) == "authorized_keys" {
			target = filepath.Join(outside, "victim")
			must(os.WriteFile(target, []byte("untouched"), 0o644))
		}
		must(os.MkdirAll(filepath.Dir(filepath.Join(rt.Tree, link)), 0o755))
		must(os.Symlink(target, filepath.Join(rt.Tree, link)))
		must(writeAuthorizedKeys(rt, "u", []string{"ssh-ed25519 AAAA u@host"}))
		entries, _ := os.ReadDir(outside)
		for _, e := range entries {
			if got, _ := os.ReadFile(filepath.Join(outside, e.Name())); e.Name() != "victim" || string(got) != "untouched" {
				t.Errorf("%s a symlink out: %s written outside the tree", link, e.Name())
			}
		}
		// The keys are in the tree: where a linked directory points when
		// resolved with the tree as root, or in place of a linked file.
		found := false
		filepath.WalkDir(rt.Tree, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() && d.Name() != "passwd" {
				if b, _ := os.ReadFile(p); strings.Contains(string(b), "ssh-ed25519 AAAA u@host") {
					found = true
				}
			}
			return nil
		})
		if !found {
			t.Errorf("%s a symlink out: the keys are nowhere in the tree", link)
		}
	}
}
