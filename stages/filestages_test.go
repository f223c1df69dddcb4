package stages

import (
	"bytes"
	"encoding/json"
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
