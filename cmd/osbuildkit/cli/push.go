package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

func init() {
	register(command{name: "push", summary: "push a disk image to a registry as an OCI artifact", run: runPush})
}

func runPush(e *env, args []string) int {
	fs := newFlags(e, "push")
	format := fs.String("format", "", "disk format (default: from the file name: qcow2, raw, raw.xz, vmdk, vdi, vpc, vhdx)")
	insecure := fs.Bool("insecure", false, "allow plain http (always allowed for localhost and 127.0.0.1)")
	var annotations stringList
	fs.Var(&annotations, "annotation", "KEY=VALUE manifest annotation (repeatable)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return usageError(e, err)
	}
	if len(pos) != 2 {
		return usageError(e, errors.New("push takes FILE and REFERENCE (registry/repository:tag)"))
	}
	extra, err := parseAnnotations(annotations)
	if err != nil {
		return usageError(e, err)
	}
	a, err := newArtifact(pos[0], *format, extra)
	if err != nil {
		return usageError(e, err)
	}
	dgst, err := a.push(pos[1], *insecure)
	if err != nil {
		fmt.Fprintf(e.stderr, "osbuildkit: pushing %s: %v\n", pos[0], err)
		return exitFailed
	}
	fmt.Fprintf(e.stdout, "%s@%s\n", pos[1], dgst)
	return exitOK
}

func parseAnnotations(list []string) (map[string]string, error) {
	out := map[string]string{}
	for _, a := range list {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--annotation %q is not KEY=VALUE", a)
		}
		out[k] = v
	}
	return out, nil
}

// diskFormats maps file name endings to disk formats.
var diskFormats = []struct{ suffix, format string }{
	{".raw.xz", "raw.xz"}, {".qcow2", "qcow2"}, {".raw", "raw"}, {".img", "raw"},
	{".vmdk", "vmdk"}, {".vdi", "vdi"}, {".vhd", "vpc"}, {".vpc", "vpc"}, {".vhdx", "vhdx"},
}

func formatOf(path string) (string, error) {
	for _, f := range diskFormats {
		if strings.HasSuffix(path, f.suffix) {
			return f.format, nil
		}
	}
	return "", fmt.Errorf("cannot tell the disk format of %s from its name: pass --format", filepath.Base(path))
}

// pushSingleExport pushes the one file an export produced (build --push).
func pushSingleExport(dir, ref string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	var files []string
	for _, e := range entries {
		if e.Type().IsRegular() {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	if len(files) != 1 || len(entries) != 1 {
		return "", fmt.Errorf("--push needs an export that is one disk image file; %s holds %d entries", dir, len(entries))
	}
	a, err := newArtifact(files[0], "", nil)
	if err != nil {
		return "", err
	}
	return a.push(ref, false)
}
