package frontend

import (
	"context"
	"fmt"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/gateway/client"

	"github.com/osbuildkit/osbuildkit/llb"
	"github.com/osbuildkit/osbuildkit/manifest"
	"github.com/osbuildkit/osbuildkit/stages"
)

// reportWarnings reads, once the build has solved them, the findings of
// the steps that report their own (the disk's boot checks) and warns with
// them: the findings are an output of the step, so a cached build shows
// them too. A report that cannot be read is a warning, not a failed build.
func reportWarnings(ctx context.Context, c client.Client, in Input, res *llb.Result, marshalOpts []bkllb.ConstraintsOpt) {
	for _, r := range res.Reports {
		ws, err := readReport(ctx, c, in, r, marshalOpts)
		if err != nil {
			ws = []llb.Warning{{Pipeline: r.Pipeline, Stage: r.Stage, At: &manifest.LocationError{Path: r.Stage.Path,
				Err: fmt.Errorf("the boot checks could not be read: %w", err)}}}
		}
		warn(ctx, c, in, ws)
	}
}

func readReport(ctx context.Context, c client.Client, in Input, r llb.Report, marshalOpts []bkllb.ConstraintsOpt) ([]llb.Warning, error) {
	def, err := r.State.Marshal(ctx, append(marshalOpts, bkllb.LinuxAmd64)...)
	if err != nil {
		return nil, err
	}
	solved, err := c.Solve(ctx, client.SolveRequest{Definition: def.ToPB(), CacheImports: in.CacheImports})
	if err != nil {
		return nil, err
	}
	ref, err := solved.SingleRef()
	if err != nil {
		return nil, err
	}
	raw, err := ref.ReadFile(ctx, client.ReadRequest{Filename: stages.ReportFile})
	if err != nil {
		return nil, err
	}
	if r.File != "" && in.Sums != nil {
		in.Sums(r.File, ref, stages.SumsFile)
	}
	return r.Warnings(in.Manifest, raw)
}
