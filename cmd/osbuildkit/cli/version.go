package cli

import (
	"fmt"
	"runtime/debug"
)

// version is osbuildkit's version, set by the Makefile
// (-X github.com/osbuildkit/osbuildkit/cmd/osbuildkit/cli.version=…);
// otherwise the module's, as go install records it.
var version = ""

func init() {
	register(command{name: "version", summary: "print osbuildkit's version and the BuildKit it was built against", run: runVersion})
}

func runVersion(e *env, _ []string) int {
	v, bk := versions()
	fmt.Fprintf(e.stdout, "osbuildkit %s (BuildKit %s)\n", v, bk)
	return exitOK
}

// versions are osbuildkit's version and BuildKit's, from the build.
func versions() (string, string) {
	v, bk := version, "unknown"
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return orUnknown(v), bk
	}
	if v == "" {
		v = info.Main.Version
	}
	for _, d := range info.Deps {
		if d.Path == "github.com/moby/buildkit" {
			bk = d.Version
		}
	}
	return orUnknown(v), bk
}

func orUnknown(v string) string {
	if v == "" || v == "(devel)" {
		return "(devel)"
	}
	return v
}
