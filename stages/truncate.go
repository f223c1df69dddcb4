package stages

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// org.osbuild.truncate: create filename (in the tree; a relative name is
// below its root), or change its size, with truncate(1), as osbuild does:
// sparse, size in truncate's own syntax ("1G" is 1024³, "1GB" 10⁹, a
// leading "+", "-", "<", ">", "/" or "%" adjusts the current size).
func init() {
	Define(Definition[truncateOptions]{Type: "org.osbuild.truncate", Plan: planTruncate, Run: runTruncate})
}

type truncateOptions struct {
	Filename string `json:"filename"`
	Size     string `json:"size"`
}

func planTruncate(c *Context, o *truncateOptions) (*Plan, error) {
	if _, err := c.TreePath(manifest.Path{"filename"}, o.Filename); err != nil {
		return nil, err
	}
	if _, err := manifest.ParseSize(strings.TrimLeft(o.Size, "+-<>/%")); err != nil {
		return nil, c.OptionError(manifest.Path{"size"}, "%v (truncate(1) refuses it when the stage runs)", err)
	}
	return InBuildroot(), nil
}

func runTruncate(rt *Runtime, o *truncateOptions) error {
	name, err := manifest.TreePath(o.Filename)
	if err != nil {
		return err
	}
	p, err := rt.Path(name)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return rt.Run("truncate", "--size", o.Size, p)
}
