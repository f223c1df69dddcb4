package frontend

import (
	"context"

	"github.com/moby/buildkit/frontend/gateway/client"

	"github.com/osbuildkit/osbuildkit/llb"
)

// warn reports the stages' plan-time warnings through BuildKit, so buildx,
// buildctl and the CLI show them whether or not the stage runs again. A
// daemon that cannot take warnings does not fail the build for it (as
// dockerui's own warnings).
func warn(ctx context.Context, c client.Client, in Input, warnings []llb.Warning) {
	for _, w := range warnings {
		opts := client.WarnOpts{Level: 1}
		if in.SourceMap != nil && w.At.Line > 0 {
			opts.SourceInfo, opts.Range = sourceInfo(in.SourceMap), lineRange(w.At.Line)
		}
		if in.Warn != nil {
			in.Warn(ctx, w.String(), opts)
			continue
		}
		_ = c.Warn(ctx, "", w.String(), opts)
	}
}
