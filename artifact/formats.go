package artifact

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// diskFormats maps file name endings to disk formats.
var diskFormats = []struct{ suffix, format string }{
	{".raw.xz", "raw.xz"}, {".qcow2", "qcow2"}, {".raw", "raw"}, {".img", "raw"},
	{".vmdk", "vmdk"}, {".vdi", "vdi"}, {".vhd", "vpc"}, {".vpc", "vpc"}, {".vhdx", "vhdx"},
	{".iso", "iso"},
}

// FormatOf tells a disk image's format from its file name.
func FormatOf(path string) (string, error) {
	for _, f := range diskFormats {
		if strings.HasSuffix(path, f.suffix) {
			return f.format, nil
		}
	}
	return "", fmt.Errorf("cannot tell the disk format of %s from its name: pass --format", filepath.Base(path))
}

// FromExport is the artifact of an export that is one disk image file
// (what `osbuildkit build --push` pushes).
func FromExport(dir string) (*Artifact, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		if e.Type().IsRegular() {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	if len(files) != 1 || len(entries) != 1 {
		return nil, fmt.Errorf("--push needs an export that is one disk image file; %s holds %d entries", dir, len(entries))
	}
	return New(files[0], "", nil)
}
