package frontend

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/moby/buildkit/frontend/gateway/client"
	gwpb "github.com/moby/buildkit/frontend/gateway/pb"
	"github.com/moby/buildkit/solver/errdefs"

	"github.com/osbuildkit/osbuildkit/llb"
)

// BreakOnError is the --break that opens the shell in the stage that
// failed, after the failure.
const BreakOnError = "on-error"

// errorShell opens the --break on-error shell in the exec that failed:
// BuildKit hands back the exec's mounts as they were when it failed
// (SolveError's MountIDs), so the shell sees what the failed command left.
// The build then fails with its error (failed). A failure that is not a
// step's command (a download, a file operation) has no shell.
func errorShell(ctx context.Context, c client.Client, in Input, solveErr, failed error) error {
	var se *errdefs.SolveError
	if !errors.As(solveErr, &se) || se.Op.GetExec() == nil || len(se.MountIDs) != len(se.Op.GetExec().Mounts) {
		fmt.Fprintf(in.Break.Notify, "osbuildkit: --break on-error: the build failed outside a stage's command, so there is no shell to open\n")
		return failed
	}
	ex := se.Op.GetExec()
	var mounts []client.Mount
	for i, m := range ex.Mounts {
		mounts = append(mounts, client.Mount{Dest: m.Dest, Selector: m.Selector, Readonly: m.Readonly, MountType: m.MountType,
			CacheOpt: m.CacheOpt, ResultID: se.MountIDs[i]})
	}
	ctr, err := c.NewContainer(ctx, client.NewContainerRequest{Mounts: mounts, NetMode: ex.Network, Platform: se.Op.Platform, Constraints: se.Op.Constraints})
	if err != nil {
		return fmt.Errorf("%w (and the --break on-error container did not start: %v)", failed, err)
	}
	defer ctr.Release(context.WithoutCancel(ctx))
	status := "failed"
	var exit *gwpb.ExitError
	if errors.As(solveErr, &exit) {
		status = fmt.Sprintf("exited with status %d", exit.ExitCode)
	}
	name := se.Description["llb.customname"]
	fmt.Fprintf(in.Break.Notify, "osbuildkit: %s (%s) failed: %s %s\r\n", name, se.Description[llb.StageKey], strings.Join(ex.Meta.Args, " "), status)
	fmt.Fprintf(in.Break.Notify, "osbuildkit: a shell in that step, as the failure left it; leave it (exit) to end the build\r\n")
	if _, err := runShell(ctx, ctr, in.Break, ex, shortName(name)); err != nil {
		return fmt.Errorf("%w (and the --break on-error shell: %v)", failed, err)
	}
	return failed
}

// shortName is a step's stage type, from its "[pipeline] type" name.
func shortName(name string) string {
	if _, t, ok := strings.Cut(name, "] "); ok {
		return t
	}
	return name
}
