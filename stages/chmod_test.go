package stages

import (
	"os"
	"path/filepath"
	"testing"
)

func TestChmodRun(t *testing.T) {
	rt, _ := runtimeFor(t, "org.osbuild.chmod", map[string]any{"items": map[string]any{"/f": map[string]any{"mode": "u+x,go-r"}}})
	if err := os.WriteFile(filepath.Join(rt.Tree, "f"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(t, rt); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(filepath.Join(rt.Tree, "f"))
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("mode %o, want 700", fi.Mode().Perm())
	}
}
