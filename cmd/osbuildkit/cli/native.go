package cli

import (
	"github.com/osbuildkit/osbuildkit/internal/standin"
	"github.com/osbuildkit/osbuildkit/stages"
)

func init() {
	register(command{name: stages.NativeCommand, summary: "(inside the build sandbox) a native stand-in for a foreign tree's program", run: runNative})
}

// runNative interprets a stand-in script (package standin).
func runNative(e *env, args []string) int { return standin.Run(args, e.stdin, e.stdout, e.stderr) }
