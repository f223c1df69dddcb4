package stages

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/osbuildkit/osbuildkit/internal/securejoin"
	"github.com/osbuildkit/osbuildkit/manifest"
)

// InputFile is the one file an org.osbuild.files input gives a stage, as
// osbuild's stages that take a "file" or "image" input read it: the file a
// pipeline reference names ({"name:PIPELINE": {"file": "disk.raw"}}), the
// one source item it references, or the only file in a pipeline's tree.
func (rt *Runtime) InputFile(name string) (string, error) {
	in, ok := rt.Inputs[name]
	if !ok {
		return "", fmt.Errorf("the stage has no input %q", name)
	}
	if len(in.Refs) != 1 {
		return "", fmt.Errorf("input %q: give exactly one file, not %d references", name, len(in.Refs))
	}
	for ref, raw := range in.Refs {
		var opts struct {
			File string `json:"file"`
		}
		if len(raw) > 0 && string(raw) != "null" {
			if err := json.Unmarshal(raw, &opts); err != nil {
				return "", fmt.Errorf("input %q: %w", name, err)
			}
		}
		switch {
		case opts.File != "":
			return securejoin.Join(in.Path, opts.File)
		case in.Origin == manifest.OriginSource:
			return filepath.Join(in.Path, ref), nil
		}
	}
	entries, _ := os.ReadDir(in.Path)
	if len(entries) != 1 {
		return "", fmt.Errorf("input %q: name the file ({\"name:PIPELINE\": {\"file\": \"disk.raw\"}})", name)
	}
	return filepath.Join(in.Path, entries[0].Name()), nil
}

// compressFile writes the "file" input, compressed (or uncompressed) by
// command (its stdout), as filename in the tree: the gzip, gunzip, xz and
// zstd stages.
func compressFile(rt *Runtime, filename string, command ...string) error {
	src, err := rt.InputFile("file")
	if err != nil {
		return err
	}
	name, err := manifest.TreePath(filename)
	if err != nil {
		return err
	}
	out, err := rt.Path(name)
	if err != nil {
		return err
	}
	tmp := out + ".partial"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	cmd := rt.Command(command[0], append(command[1:], src)...)
	cmd.Stdout = f
	err = rt.Exec(cmd)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp, out)
}
