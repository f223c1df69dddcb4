package frontend

import (
	"context"
	"fmt"

	"github.com/moby/buildkit/frontend/gateway/client"

	"github.com/osbuildkit/osbuildkit/llb"
)

// warn reports the stages' plan-time warnings through BuildKit, so buildx,
// buildctl and the CLI show them whether or not the stage runs again.
func warn(ctx context.Context, c client.Client, in Input, warnings []llb.Warning) error {
	for _, w := range warnings {
		opts := client.WarnOpts{Level: 1}
		if in.SourceMap != nil && w.Line > 0 {
			opts.SourceInfo, opts.Range = sourceInfo(in.SourceMap), lineRange(w.Line)
		}
		if in.Warn != nil {
			in.Warn(ctx, w.String(), opts)
			continue
		}
		if err := c.Warn(ctx, "", w.String(), opts); err != nil {
			return fmt.Errorf("reporting a warning: %w", err)
		}
	}
	return nil
}
