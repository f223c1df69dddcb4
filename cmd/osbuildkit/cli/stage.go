package cli

import "github.com/osbuildkit/osbuildkit/stages"

func init() {
	register(command{name: stages.HelperCommand, summary: "(inside the build sandbox) run one stage; BuildKit calls this", run: runStage})
}

// runStage is the in-sandbox helper (see stages.RunHelper).
func runStage(e *env, _ []string) int { return stages.RunHelper(e.stdout, e.stderr) }
