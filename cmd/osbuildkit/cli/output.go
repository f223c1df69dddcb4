package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	bkclient "github.com/moby/buildkit/client"
)

// output exports into a temporary directory beside the output directory and
// moves each pipeline into place only once the whole build succeeded, so a
// failed or interrupted build leaves nothing half-written under the final
// names. As with osbuild, DIR/PIPELINE is created, or merged into when it
// exists (same-named files replaced).
type output struct {
	dir, tmp string
	names    []string
}

func newOutput(dir string, names []string) (*output, error) {
	if dir == "" {
		return &output{}, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the output directory: %w", err)
	}
	tmp, err := os.MkdirTemp(dir, ".osbuildkit-export-")
	if err != nil {
		return nil, fmt.Errorf("creating a temporary export directory: %w", err)
	}
	return &output{dir: dir, tmp: tmp, names: names}, nil
}

func (o *output) exports() []bkclient.ExportEntry {
	if o.dir == "" {
		return nil
	}
	dir := o.tmp
	if len(o.names) == 1 {
		dir = filepath.Join(o.tmp, o.names[0])
	}
	return []bkclient.ExportEntry{{Type: bkclient.ExporterLocal, OutputDir: dir}}
}

func (o *output) commit() error {
	if o.dir == "" {
		return nil
	}
	for _, n := range o.names {
		if err := mergeInto(filepath.Join(o.tmp, n), filepath.Join(o.dir, n)); err != nil {
			return fmt.Errorf("moving %s into place: %w", n, err)
		}
	}
	return nil
}

func (o *output) cleanup() {
	if o.tmp != "" {
		os.RemoveAll(o.tmp)
	}
}

// mergeInto moves src to dst; where dst is an existing directory, src's
// entries move into it one by one (each rename replaces atomically).
func mergeInto(src, dst string) error {
	fi, err := os.Lstat(dst)
	if errors.Is(err, os.ErrNotExist) {
		return os.Rename(src, dst)
	}
	if err != nil {
		return err
	}
	sfi, err := os.Lstat(src)
	if err != nil {
		return err
	}
	if !fi.IsDir() || !sfi.IsDir() {
		if fi.IsDir() {
			if err := os.RemoveAll(dst); err != nil {
				return err
			}
		}
		return os.Rename(src, dst)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := mergeInto(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())); err != nil {
			return err
		}
	}
	return nil
}
