package frontend

import (
	"context"
	"errors"
	"fmt"
	"time"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/gateway/client"
	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/osbuildkit/osbuildkit/llb"
)

// StageTimeoutError is a step that ran longer than the stage timeout.
type StageTimeoutError struct {
	Step    string
	Timeout time.Duration
}

func (e *StageTimeoutError) Error() string {
	return fmt.Sprintf("%s ran longer than the stage timeout (%s) and was cancelled; raise it with --stage-timeout (osbuildkit), --opt stage-timeout=DURATION (buildctl) or --build-arg OSBUILDKIT_STAGE_TIMEOUT=DURATION (buildx)", e.Step, e.Timeout)
}

// GRPCStatus keeps the message across BuildKit's gRPC boundary.
func (e *StageTimeoutError) GRPCStatus() *status.Status {
	return status.New(codes.DeadlineExceeded, e.Error())
}

// watchSteps times the build's steps (stages, and the host buildroot's
// tools) when a stage timeout is set: it solves each step beside the build
// once what it waits for is done, within the timeout. BuildKit runs a step
// once for both requests, so the watcher only waits; a step that takes
// longer cancels the build with a StageTimeoutError as the cause. BuildKit
// has no timeout of its own for a step.
func watchSteps(ctx context.Context, cancel context.CancelCauseFunc, c client.Client, res *llb.Result, in Input, marshalOpts []bkllb.ConstraintsOpt) {
	timeout := in.Config.StageTimeout
	if timeout <= 0 {
		return
	}
	go func() {
		if err := timeSteps(ctx, c, res.Steps, timeout, in.CacheImports, marshalOpts); err != nil {
			cancel(err)
		}
	}()
}

// timeSteps solves steps in order, each within timeout, and returns the
// first that took longer. A step that fails is left to the build to report:
// what waits for it is not timed.
func timeSteps(ctx context.Context, c client.Client, steps []llb.Step, timeout time.Duration, cacheImports []client.CacheOptionsEntry, marshalOpts []bkllb.ConstraintsOpt) error {
	done := make([]chan struct{}, len(steps))
	for i := range done {
		done[i] = make(chan struct{})
	}
	eg, ctx := errgroup.WithContext(ctx)
	for i, s := range steps {
		eg.Go(func() error {
			for _, a := range s.After {
				select {
				case <-done[a]:
				case <-ctx.Done():
					return nil
				}
			}
			def, err := s.State.Marshal(ctx, append(marshalOpts, bkllb.LinuxAmd64)...)
			if err != nil {
				return nil // the build marshals the same states and reports it
			}
			timedOut, err := solveWithin(ctx, c, def, timeout, cacheImports)
			switch {
			case err == nil:
				close(done[i])
			case timedOut:
				return &StageTimeoutError{Step: s.Name, Timeout: timeout}
			}
			return nil
		})
	}
	return eg.Wait()
}

// stageTimeout returns the watcher's error when it cancelled the build.
func stageTimeout(ctx context.Context, err error) error {
	var te *StageTimeoutError
	if errors.As(context.Cause(ctx), &te) {
		return te
	}
	return err
}

// solveWithin solves def within timeout and says whether a failure was the
// timeout (rather than ctx ending, or the step failing).
func solveWithin(ctx context.Context, c client.Client, def *bkllb.Definition, timeout time.Duration, cacheImports []client.CacheOptionsEntry) (bool, error) {
	sctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	_, err := c.Solve(sctx, client.SolveRequest{Definition: def.ToPB(), CacheImports: cacheImports, Evaluate: true})
	// The deadline travels with the request: buildkitd may end it a moment
	// before this side's timer fires.
	timedOut := err != nil && ctx.Err() == nil && (errors.Is(sctx.Err(), context.DeadlineExceeded) || time.Since(start) >= timeout)
	return timedOut, err
}
