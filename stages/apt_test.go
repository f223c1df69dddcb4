package stages

import (
	"os"
	"path/filepath"
	"testing"
)

// With a source-epoch, the files an install leaves that differ from one
// build to the next go, as mmdebstrap removes them from its trees; the
// rest stays.
func TestRemoveUnreproducible(t *testing.T) {
	tree := t.TempDir()
	keep := []string{"/var/log/apt/keep.log", "/var/cache/ldconfig/other", "/etc/machine-id"}
	for _, f := range append(append([]string(nil), unreproducible...), keep...) {
		p := filepath.Join(tree, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("x"), 0o644)
	}
	removeUnreproducible(&Runtime{Spec: Spec{Tree: tree}})
	for _, f := range unreproducible {
		if _, err := os.Lstat(filepath.Join(tree, f)); err == nil {
			t.Errorf("%s is still there", f)
		}
	}
	for _, f := range keep {
		if _, err := os.Lstat(filepath.Join(tree, f)); err != nil {
			t.Errorf("%s was removed", f)
		}
	}
}
