package cli

import (
	"fmt"

	"github.com/moby/buildkit/frontend/gateway/grpcclient"
	"github.com/moby/buildkit/util/appcontext"

	"github.com/osbuildkit/osbuildkit/frontend"
)

func init() {
	register(command{name: "frontend", summary: "(in the frontend image) serve BuildKit's gateway API", run: runFrontend})
}

func runFrontend(e *env, _ []string) int {
	ctx := appcontext.Context()
	if err := grpcclient.RunFromEnvironment(ctx, frontend.Build); err != nil {
		fmt.Fprintf(e.stderr, "osbuildkit frontend: %v\n", err)
		return exitFailed
	}
	return exitOK
}
