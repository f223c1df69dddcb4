package stages

import (
	"os"
	"path/filepath"
	"testing"
)

func TestTruncateRun(t *testing.T) {
	rt, _ := runtimeFor(t, "org.osbuild.truncate", map[string]any{"filename": "/disk/img.raw", "size": "1M"})
	if err := run(t, rt); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(rt.Tree, "disk/img.raw"))
	if err != nil || fi.Size() != 1<<20 {
		t.Fatalf("stat: %v, %v", fi, err)
	}
}

// As in osbuild, a relative name is below the tree's root and the size is
// truncate(1)'s, adjustments included.
func TestTruncateRelativeAndGrow(t *testing.T) {
	rt, _ := runtimeFor(t, "org.osbuild.truncate", map[string]any{"filename": "img.raw", "size": "1M"})
	if err := run(t, rt); err != nil {
		t.Fatal(err)
	}
	rt.Options = []byte(`{"filename": "img.raw", "size": "+1M"}`)
	if err := run(t, rt); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(rt.Tree, "img.raw")); err != nil || fi.Size() != 2<<20 {
		t.Errorf("stat: %v, %v", fi, err)
	}
	if _, err := planOf(t, `{"type": "org.osbuild.truncate", "options": {"filename": "/../x", "size": "1M"}}`); err == nil {
		t.Error("a file outside the tree was planned")
	}
}
