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
