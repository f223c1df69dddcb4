package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/osbuildkit/osbuildkit/manifest"
)

func init() {
	register(command{name: "validate", summary: "check a manifest; exit 2 with every problem when it is invalid", args: "MANIFEST", run: runValidate})
	register(command{name: "inspect", summary: "print the normalised manifest with osbuild stage IDs", args: "MANIFEST", run: runInspect})
}

// readManifest reads MANIFEST from a path or "-" (stdin).
func readManifest(e *env, path string) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(e.stdin)
	}
	return os.ReadFile(path)
}

// loadManifest reads and loads a manifest, printing problems. It returns
// the exit code to use when the manifest is nil.
func loadManifest(e *env, path string, asJSON bool) (*manifest.Manifest, int) {
	data, err := readManifest(e, path)
	if err != nil {
		fmt.Fprintf(e.stderr, "osbuildkit: reading the manifest: %v\n", err)
		return nil, exitInvalid
	}
	m, err := manifest.Load(path, data)
	if err != nil {
		return nil, reportLoadError(e, err, asJSON)
	}
	return m, exitOK
}

func writeJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func runValidate(e *env, args []string) int {
	fs := newFlags(e, "validate", "MANIFEST")
	asJSON := fs.Bool("json", false, "print osbuild's machine-readable validation result")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return usageError(e, err)
	}
	if len(pos) != 1 {
		return usageError(e, errors.New("validate takes one MANIFEST (a path or -)"))
	}
	m, code := loadManifest(e, pos[0], *asJSON)
	if code != exitOK {
		return code
	}
	// What the build would reject before starting is invalid here too.
	res, err := planManifest(m, m.Names(), "")
	if err != nil {
		return reportLoadError(e, err, *asJSON)
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(e.stderr, "osbuildkit: warning: %s\n", w)
	}
	if *asJSON {
		writeJSON(e.stdout, manifest.Result{Success: true})
	} else {
		name := pos[0]
		if name == "-" {
			name = "<stdin>"
		}
		fmt.Fprintf(e.stdout, "%s is valid\n", name)
	}
	return exitOK
}

func runInspect(e *env, args []string) int {
	fs := newFlags(e, "inspect", "MANIFEST")
	asJSON := fs.Bool("json", false, "print validation problems as JSON")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return usageError(e, err)
	}
	if len(pos) != 1 {
		return usageError(e, errors.New("inspect takes one MANIFEST (a path or -)"))
	}
	m, code := loadManifest(e, pos[0], *asJSON)
	if m == nil {
		return code
	}
	writeJSON(e.stdout, m.Describe())
	return exitOK
}

// runOsbuild handles osbuild's own command line without a build: with
// --inspect it prints the manifest, otherwise it validates and prints each
// pipeline's ID.
func runOsbuild(e *env, args []string) int {
	fs := newFlags(e, "", "MANIFEST")
	inspect := fs.Bool("inspect", false, "print the normalised manifest with stage IDs")
	asJSON := fs.Bool("json", false, "machine-readable output")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return usageError(e, err)
	}
	if len(pos) != 1 {
		usage(e.stderr)
		return exitInvalid
	}
	m, code := loadManifest(e, pos[0], *asJSON)
	if m == nil {
		return code
	}
	switch {
	case *inspect:
		writeJSON(e.stdout, m.Describe())
	case *asJSON:
		writeJSON(e.stdout, m.Succeeded())
	default:
		for _, pl := range m.Pipelines {
			fmt.Fprintf(e.stdout, "%-10s\t%s\n", pl.Name+":", pl.ID)
		}
	}
	return exitOK
}
