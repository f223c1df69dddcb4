package stages

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runtimeFor builds a Runtime on a temporary tree for helper-side tests.
func runtimeFor(t *testing.T, typ string, options any) (*Runtime, *bytes.Buffer) {
	t.Helper()
	raw, err := json.Marshal(options)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	return &Runtime{Spec: Spec{Type: typ, Options: raw, Tree: t.TempDir()}, Stdout: &log, Stderr: &log}, &log
}

func TestTruncateRun(t *testing.T) {
	rt, _ := runtimeFor(t, "org.osbuild.truncate", map[string]any{"filename": "/disk/img.raw", "size": "1M"})
	if err := (truncate{}).Run(rt); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(rt.Tree, "disk/img.raw"))
	if err != nil || fi.Size() != 1<<20 {
		t.Fatalf("stat: %v, %v", fi, err)
	}
}

func TestChmodRun(t *testing.T) {
	rt, _ := runtimeFor(t, "org.osbuild.chmod", map[string]any{"items": map[string]any{"/f": map[string]any{"mode": "u+x,go-r"}}})
	if err := os.WriteFile(filepath.Join(rt.Tree, "f"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := (chmod{}).Run(rt); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(filepath.Join(rt.Tree, "f"))
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("mode %o, want 700", fi.Mode().Perm())
	}
}

func TestChownResolvesNamesInTree(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("chown needs root")
	}
	rt, _ := runtimeFor(t, "org.osbuild.chown", map[string]any{"items": map[string]any{"/f": map[string]any{"user": "builder", "group": 4242}}})
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(rt.Tree, "etc"), 0o755))
	must(os.WriteFile(filepath.Join(rt.Tree, "etc/passwd"), []byte("root:x:0:0::/root:/bin/sh\nbuilder:x:1234:1234::/home/b:/bin/sh\n"), 0o644))
	must(os.WriteFile(filepath.Join(rt.Tree, "f"), nil, 0o644))
	must((chown{}).Run(rt))
	fi, _ := os.Stat(filepath.Join(rt.Tree, "f"))
	if uid, gid := statOwner(fi); uid != 1234 || gid != 4242 {
		t.Errorf("owner %d:%d, want 1234:4242", uid, gid)
	}
	rt.Options = json.RawMessage(`{"items": {"/f": {"user": "nobody-here"}}}`)
	if err := (chown{}).Run(rt); err == nil || !strings.Contains(err.Error(), `"nobody-here" is not in the tree's /etc/passwd`) {
		t.Errorf("unknown user: %v", err)
	}
}

func TestCopyRunKeepsSymlinksInside(t *testing.T) {
	rt, _ := runtimeFor(t, "org.osbuild.copy", map[string]any{"paths": []any{map[string]any{"from": "input://src/", "to": "tree:///etc/"}}})
	in := t.TempDir()
	if err := os.WriteFile(filepath.Join(in, "hello"), []byte("hi"), 0o600); err != nil {
		t.Fatal(err)
	}
	rt.Inputs = map[string]Input{"src": {Type: "org.osbuild.tree", Path: in}}
	// /etc in the tree is a symlink pointing outside: the copy must land
	// in the tree's /etc, never the host's.
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(rt.Tree, "etc")); err != nil {
		t.Fatal(err)
	}
	// The link resolves to a directory inside the tree that does not
	// exist, so cp fails; what matters is that nothing lands outside.
	_ = (copyStage{}).Run(rt)
	if _, err := os.Stat(filepath.Join(outside, "hello")); err == nil {
		t.Fatal("the copy followed a symlink out of the tree")
	}
}

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
