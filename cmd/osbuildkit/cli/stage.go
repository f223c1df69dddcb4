package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/osbuildkit/osbuildkit/llb"
	"github.com/osbuildkit/osbuildkit/manifest"
	"github.com/osbuildkit/osbuildkit/stages"
)

func init() {
	register(command{name: "stage", summary: "(inside the build sandbox) run one stage; BuildKit calls this", run: runStage})
}

// runStage is the in-sandbox helper: it reads the stage spec the
// translator wrote and runs the stage's Go implementation.
func runStage(e *env, args []string) int {
	raw := os.Getenv(llb.SpecEnv)
	if strings.HasPrefix(raw, "@") {
		b, err := os.ReadFile(raw[1:])
		if err != nil {
			fmt.Fprintf(e.stderr, "osbuildkit stage: reading the spec: %v\n", err)
			return exitFailed
		}
		raw = string(b)
	}
	if raw == "" {
		fmt.Fprintf(e.stderr, "osbuildkit stage: %s is not set; this command runs inside a build\n", llb.SpecEnv)
		return exitInvalid
	}
	var spec stages.Spec
	if err := json.Unmarshal([]byte(raw), &spec); err != nil {
		fmt.Fprintf(e.stderr, "osbuildkit stage: decoding the spec: %v\n", err)
		return exitFailed
	}
	impl, ok := stages.Lookup(manifest.Kind(spec.Kind), spec.Type)
	runner, isRunner := impl.(stages.Runner)
	if !ok || !isRunner {
		fmt.Fprintf(e.stderr, "osbuildkit stage: %s %s has no helper implementation\n", spec.Kind, spec.Type)
		return exitFailed
	}
	rt := &stages.Runtime{Spec: spec, Stdout: e.stdout, Stderr: e.stderr}
	if err := runner.Run(rt); err != nil {
		fmt.Fprintf(e.stderr, "osbuildkit: %s: %v\n", spec.Type, err)
		var ee *stages.ExitError
		if errors.As(err, &ee) {
			return ee.Code
		}
		return exitFailed
	}
	return exitOK
}
