package stages

import (
	"os"
	"path/filepath"
	"testing"
)

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
	_ = run(t, rt)
	if _, err := os.Stat(filepath.Join(outside, "hello")); err == nil {
		t.Fatal("the copy followed a symlink out of the tree")
	}
}
