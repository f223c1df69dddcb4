package stages

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// truncate is org.osbuild.truncate: create filename, or change its size,
// sparse. size takes a unit: "1G" (1024³), "1GiB", "1GB" (10⁹) or bytes.
type truncate struct{}

var _ Runner = truncate{}

func init() { Register(manifest.KindStage, truncate{}) }

func (truncate) Type() string { return "org.osbuild.truncate" }

type truncateOptions struct {
	Filename string `json:"filename"`
	Size     any    `json:"size"`
}

func (truncate) Plan(st *manifest.Stage) (*Plan, error) {
	var o truncateOptions
	if err := decode(st, &o); err != nil {
		return nil, err
	}
	if _, err := manifest.SizeValue(o.Size); err != nil {
		return nil, optionError(st, manifest.Path{"size"}, "%v", err)
	}
	return execInBuildroot(), nil
}

func (truncate) Run(rt *Runtime) error {
	var o truncateOptions
	if err := rt.Decode(&o); err != nil {
		return err
	}
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
