package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/osbuildkit/osbuildkit/artifact"
)

func init() {
	register(command{name: "push", summary: "push a disk image to a registry as an OCI artifact", args: "FILE REFERENCE", run: runPush})
}

func runPush(e *env, args []string) int {
	fs := newFlags(e, "push", "FILE REFERENCE")
	format := fs.String("format", "", "disk `format` (default: from the file name: qcow2, raw, raw.xz, vmdk, vdi, vpc, vhdx, iso)")
	insecure := fs.Bool("insecure", false, "allow plain http (always allowed for localhost and 127.0.0.1)")
	doc := fs.String("sbom", "", "attach the SPDX `FILE` as the artifact's referrer (default: FILE.spdx.json beside the disk, when there is one; none: attach nothing)")
	var annotations stringList
	fs.Var(&annotations, "annotation", "`KEY=VALUE` manifest annotation (repeatable)")
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
	switch *doc {
	case "":
		*doc = artifact.SBOMOf(pos[0])
	case "none":
		*doc = ""
	default:
		if _, err := os.Stat(*doc); err != nil {
			return usageError(e, fmt.Errorf("--sbom: %w", err))
		}
	}
	a, err := artifact.New(pos[0], *format, extra)
	if err != nil {
		return usageError(e, err)
	}
	dgst, err := a.Push(pos[1], *insecure)
	if err != nil {
		fmt.Fprintf(e.stderr, "osbuildkit: pushing %s: %v\n", pos[0], err)
		return exitFailed
	}
	fmt.Fprintf(e.stdout, "%s@%s\n", pos[1], dgst)
	if err := pushSBOM(e, a, pos[1], *insecure, *doc); err != nil {
		fmt.Fprintf(e.stderr, "osbuildkit: pushing %s: %v\n", pos[0], err)
		return exitFailed
	}
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
