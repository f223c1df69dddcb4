package frontend

import (
	"context"
	"encoding/json"
	"fmt"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/gateway/client"

	"github.com/osbuildkit/osbuildkit/llb"
	"github.com/osbuildkit/osbuildkit/manifest"
	"github.com/osbuildkit/osbuildkit/stages"
)

// ResolveStage runs the package stage st of in's manifest as `osbuildkit
// lock` needs it: on the tree the stages before it leave, with the
// network on and never from the cache, it says what the stage would
// install (stages.Definition.Resolve).
func ResolveStage(ctx context.Context, c client.Client, in Input, st *manifest.Stage) ([]stages.LockedPackage, error) {
	opts := compileOptions(in)
	opts.Lock = st.Path.String()
	res, err := llb.Compile(ctx, in.Manifest, opts)
	if err != nil {
		return nil, withManifestSource(err, in.SourceMap)
	}
	if res.Lock == nil {
		return nil, &manifest.LocationError{Path: st.Path, Err: fmt.Errorf("%s is not built for the exports %v, so it cannot be locked", st.Type, opts.Exports)}
	}
	def, err := res.Lock.Marshal(ctx, bkllb.LinuxAmd64)
	if err != nil {
		return nil, fmt.Errorf("marshalling LLB: %w", err)
	}
	if in.Observe != nil {
		in.Observe(def)
	}
	solved, err := c.Solve(ctx, client.SolveRequest{Definition: def.ToPB(), CacheImports: in.CacheImports, Evaluate: true})
	if err != nil {
		return nil, explain(err, in.Manifest, def, res)
	}
	ref, err := solved.SingleRef()
	if err != nil {
		return nil, err
	}
	b, err := ref.ReadFile(ctx, client.ReadRequest{Filename: stages.LockFile})
	if err != nil {
		return nil, fmt.Errorf("reading what %s resolved: %w", st.Path, err)
	}
	var pkgs []stages.LockedPackage
	if err := json.Unmarshal(b, &pkgs); err != nil {
		return nil, fmt.Errorf("reading what %s resolved: %w", st.Path, err)
	}
	return pkgs, nil
}
