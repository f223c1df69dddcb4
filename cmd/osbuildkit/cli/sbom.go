package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"time"

	spdxjson "github.com/spdx/tools-golang/json"

	"github.com/osbuildkit/osbuildkit/sbom"
)

func init() {
	register(command{name: "sbom", summary: "print the SPDX SBOM of an exported tree, tar archive or disk image", args: "TREE|IMAGE", run: runSBOM})
}

func runSBOM(e *env, args []string) int {
	fs := newFlags(e, "sbom", "TREE|IMAGE")
	out := fs.String("o", "", "write the document to `FILE` instead of standard output")
	step := fs.Bool("step", false, "(inside the build sandbox) write the SBOM a build step's spec asks for")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return usageError(e, err)
	}
	if *step {
		if err := sbom.RunStep(e.stderr); err != nil {
			fmt.Fprintf(e.stderr, "osbuildkit sbom: %v\n", err)
			return exitFailed
		}
		return exitOK
	}
	if len(pos) != 1 {
		return usageError(e, errors.New("sbom takes one TREE (a directory) or IMAGE (a tar archive, or a raw or qcow2 disk image)"))
	}
	in, err := sbom.Read(pos[0], time.Now())
	if err != nil {
		fmt.Fprintf(e.stderr, "osbuildkit sbom: %v\n", err)
		return exitInvalid
	}
	if in.Packages == nil {
		fmt.Fprintf(e.stderr, "osbuildkit sbom: %s has no dpkg database: the document describes the %s alone\n", pos[0], map[bool]string{true: "file", false: "tree"}[in.File != ""])
	}
	var buf bytes.Buffer
	if err := spdxjson.Write(sbom.Document(in), &buf, spdxjson.Indent("  ")); err != nil {
		fmt.Fprintf(e.stderr, "osbuildkit sbom: %v\n", err)
		return exitFailed
	}
	if *out == "" {
		_, _ = e.stdout.Write(buf.Bytes())
		return exitOK
	}
	// Written aside and renamed: a failed write leaves no half document.
	tmp := *out + ".partial"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		os.Remove(tmp)
		fmt.Fprintf(e.stderr, "osbuildkit sbom: %v\n", err)
		return exitFailed
	}
	if err := os.Rename(tmp, *out); err != nil {
		os.Remove(tmp)
		fmt.Fprintf(e.stderr, "osbuildkit sbom: %v\n", err)
		return exitFailed
	}
	return exitOK
}
