package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	bkclient "github.com/moby/buildkit/client"
)

// output exports into a temporary directory beside the output directory and
// moves each pipeline into place only once the whole build succeeded, so a
// failed or interrupted build leaves nothing half-written under the final
// names. As with osbuild, DIR/PIPELINE is created, or merged into when it
// exists (same-named files replaced).
//
// The result arrives as a tar stream that tar(1) unpacks: unlike BuildKit's
// local exporter, this keeps owners (when run as root), as osbuild's export
// does, and sidesteps the local exporter's intermittent stalls on trees with
// hard links (seen with BuildKit v0.34.2).
type output struct {
	dir, tmp string
	names    []string
	unpack   *unpacker
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
	// A tree's root is 0755, as a root filesystem's is.
	for _, n := range names {
		if err := os.Mkdir(filepath.Join(tmp, n), 0o755); err != nil {
			os.RemoveAll(tmp)
			return nil, err
		}
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
	o.unpack = &unpacker{dir: dir}
	return []bkclient.ExportEntry{{Type: bkclient.ExporterTar, Output: o.unpack.open}}
}

func (o *output) commit() error {
	if o.dir == "" {
		return nil
	}
	if err := o.unpack.wait(); err != nil {
		return err
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

// unpacker feeds the exported tar stream to tar(1).
type unpacker struct {
	dir  string
	cmd  *exec.Cmd
	in   io.WriteCloser
	errs bytes.Buffer
}

func (u *unpacker) open(map[string]string) (io.WriteCloser, error) {
	args := []string{"--extract", "--file=-", "--directory=" + u.dir, "--numeric-owner",
		"--preserve-permissions", "--xattrs", "--xattrs-include=*", "--acls"}
	if os.Geteuid() == 0 {
		args = append(args, "--same-owner")
	}
	u.cmd = exec.Command("tar", args...)
	u.cmd.Stderr = &u.errs
	in, err := u.cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	if err := u.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting tar to unpack the export: %w", err)
	}
	u.in = in
	return in, nil
}

// wait returns once tar has unpacked everything.
func (u *unpacker) wait() error {
	if u.cmd == nil {
		return errors.New("the build exported nothing")
	}
	u.in.Close()
	if err := u.cmd.Wait(); err != nil {
		return fmt.Errorf("unpacking the export: %w: %s", err, bytes.TrimSpace(u.errs.Bytes()))
	}
	return nil
}
