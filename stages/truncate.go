package stages

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// org.osbuild.truncate: create filename, or change its size,
// sparse. size takes a unit: "1G" (1024³), "1GiB", "1GB" (10⁹) or bytes.
func init() {
	Define(Definition[truncateOptions]{Type: "org.osbuild.truncate", Plan: planTruncate, Run: runTruncate})
}

type truncateOptions struct {
	Filename string `json:"filename"`
	Size     any    `json:"size"`
}

func planTruncate(c *Context, o *truncateOptions) (*Plan, error) {
	if _, err := manifest.SizeValue(o.Size); err != nil {
		return nil, c.OptionError(manifest.Path{"size"}, "%v", err)
	}
	return InBuildroot(), nil
}

func runTruncate(rt *Runtime, o *truncateOptions) error {
	size, err := manifest.SizeValue(o.Size)
	if err != nil {
		return err
	}
	p, err := rt.Path(o.Filename)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("creating %s: %w", o.Filename, err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		return fmt.Errorf("truncating %s to %d bytes: %w", o.Filename, size, err)
	}
	return f.Close()
}
