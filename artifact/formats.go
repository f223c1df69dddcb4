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
// (what `osbuildkit build --push` pushes), and the path of its SBOM
// (FILE.spdx.json beside it), empty when the export has none.
func FromExport(dir string) (*Artifact, string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, "", err
	}
	var files []string
	others := 0
	for _, e := range entries {
		if e.Type().IsRegular() && !strings.HasSuffix(e.Name(), sbomSuffix) {
			files = append(files, filepath.Join(dir, e.Name()))
		} else if !e.Type().IsRegular() {
			others++
		}
	}
	if len(files) != 1 || others > 0 {
		return nil, "", fmt.Errorf("--push needs an export that is one disk image file; %s holds %d entries", dir, len(entries))
	}
	a, err := New(files[0], "", nil)
	if err != nil {
		return nil, "", err
	}
	return a, SBOMOf(files[0]), nil
}

// sbomSuffix names the SBOM of a file, beside it (osbuildkit build --sbom).
const sbomSuffix = ".spdx.json"

// SBOMOf is the SBOM beside the file at path (path.spdx.json), or empty
// when there is none.
func SBOMOf(path string) string {
	if fi, err := os.Stat(path + sbomSuffix); err == nil && fi.Mode().IsRegular() {
		return path + sbomSuffix
	}
	return ""
}
