package frontend

import (
	"context"
	"errors"
	"fmt"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"

	"github.com/osbuildkit/osbuildkit/llb"
	"github.com/osbuildkit/osbuildkit/manifest"
)

// Build is the gateway frontend's entry point.
func Build(ctx context.Context, c client.Client) (*client.Result, error) {
	bc, err := dockerui.NewClient(c)
	if err != nil {
		return nil, err
	}
	cfg, err := ParseConfig(bc.BuildOpts().Opts)
	if err != nil {
		return nil, err
	}
	src, err := bc.ReadEntrypoint(ctx, "json")
	if err != nil {
		return nil, fmt.Errorf("reading the manifest: %w", err)
	}
	m, err := manifest.Load(src.Filename, src.Data)
	if err != nil {
		return nil, withManifestSource(err, src.SourceMap)
	}
	if res, ok, err := bc.HandleSubrequest(ctx, subrequests(m)); ok {
		return res, err
	}
	helper, err := frontendHelper(c)
	if err != nil {
		return nil, err
	}
	in := Input{Manifest: m, SourceMap: src.SourceMap, Helper: helper, Config: cfg, CacheImports: bc.CacheImports, Warn: src.Warn}
	nc, err := bc.NamedContext("buildroot", dockerui.ContextOpt{})
	if err != nil {
		return nil, fmt.Errorf("reading the named context buildroot: %w", err)
	}
	if nc != nil {
		st, _, err := nc.Load(ctx)
		if err != nil {
			return nil, fmt.Errorf("loading the named context buildroot: %w", err)
		}
		in.Buildroot = st
	}
	return BuildPlatforms(ctx, c, in, func() (*manifest.Manifest, error) { return manifest.Load(src.Filename, src.Data) })
}

// Input is a loaded manifest and how to build it.
type Input struct {
	Manifest  *manifest.Manifest
	SourceMap *bkllb.SourceMap
	Helper    llb.Helper
	Config    Config
	// Buildroot, when set, replaces the host buildroot (named context).
	Buildroot    *bkllb.State
	CacheImports []client.CacheOptionsEntry
	// Observe, when set, sees the marshalled LLB before it is solved.
	Observe func(*bkllb.Definition)
	// Sums, when set, learns where a disk step left the block digests of
	// the image it wrote: name in ref, for the file at path in the
	// output (llb.Report.File). The file may not be there: a step that
	// had none to write (another format) wrote none.
	Sums func(path string, ref client.Reference, name string)
	// Warn, when set, reports a warning on the manifest's own progress
	// vertex (the gateway frontend's "load build definition"); otherwise
	// warnings go to BuildKit without a vertex and the client lists them.
	Warn func(ctx context.Context, msg string, opts client.WarnOpts)
	// Break, when set, stops the build before a stage for a shell (the
	// CLI's --break; the build ends with ErrBreakEnded).
	Break *Break
	// Platform is the target platform (buildx --platform); nil is
	// linux/amd64.
	Platform *ocispecs.Platform
}

// BuildManifest compiles and solves a loaded manifest; the gateway frontend
// and the CLI's in-process build share it.
func BuildManifest(ctx context.Context, c client.Client, in Input) (*client.Result, error) {
	opts := compileOptions(in)
	if in.Break != nil && in.Break.Stage != BreakOnError {
		opts.Break = in.Break.Stage
	}
	res, err := llb.Compile(ctx, in.Manifest, opts)
	if err != nil {
		return nil, withManifestSource(err, in.SourceMap)
	}
	warn(ctx, c, in, res.Warnings)
	var marshalOpts []bkllb.ConstraintsOpt
	if in.Config.NoCacheAll {
		marshalOpts = append(marshalOpts, bkllb.IgnoreCache)
	}
	if res.Break != nil {
		return nil, breakShell(ctx, c, in, res.Break, marshalOpts)
	}
	def, err := res.Output.Marshal(ctx, append(marshalOpts, bkllb.LinuxAmd64)...)
	if err != nil {
		return nil, fmt.Errorf("marshalling LLB: %w", err)
	}
	if in.Observe != nil {
		in.Observe(def)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	fetched := watchDownloads(ctx, cancel, c, res, in, marshalOpts)
	watchSteps(ctx, cancel, c, res, in, marshalOpts)
	solved, err := c.Solve(ctx, client.SolveRequest{Definition: def.ToPB(), CacheImports: in.CacheImports, Evaluate: true})
	if err != nil {
		failed := stageTimeout(ctx, downloadFault(ctx, fetched, explain(err, in.Manifest, def, res)))
		if in.Break != nil && in.Break.Stage == BreakOnError {
			return nil, errorShell(ctx, c, in, err, failed)
		}
		return nil, failed
	}
	ref, err := solved.SingleRef()
	if err != nil {
		return nil, err
	}
	reportWarnings(ctx, c, in, res, marshalOpts)
	out := client.NewResult()
	out.SetRef(ref)
	if err := addImageConfig(out, in.Platform); err != nil {
		return nil, err
	}
	if in.Config.SBOM == llb.SBOMAttest {
		if err := attachSBOMs(ctx, c, res, out, platformKeyOf(in.Platform), marshalOpts); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// frontendHelper mounts the frontend's own image: its /usr/bin holds the
// osbuildkit binary, which is also the stage helper.
func frontendHelper(c client.Client) (llb.Helper, error) {
	cf, ok := c.(interface {
		CurrentFrontend() (*bkllb.State, error)
	})
	if !ok {
		return llb.Helper{}, errors.New("this BuildKit cannot hand the frontend its own image (CurrentFrontend); use osbuildkit build instead")
	}
	st, err := cf.CurrentFrontend()
	if err != nil {
		return llb.Helper{}, fmt.Errorf("getting the frontend image: %w", err)
	}
	if st == nil {
		return llb.Helper{}, errors.New("the frontend is not running from an image, so it has no stage helper to mount; use osbuildkit build for in-process builds")
	}
	return llb.Helper{State: *st, Dir: "/usr/bin"}, nil
}

// compileOptions are the translation's options for the build in.
func compileOptions(in Input) llb.Options {
	opts := llb.Options{
		Helper:    in.Helper,
		Exports:   in.Config.Exports,
		Layout:    in.Config.Layout,
		NoCache:   in.Config.NoCache,
		SourceMap: in.SourceMap,
		Proxy:     in.Config.Proxy,
		Buildroot: in.Buildroot,
		SBOM:      in.Config.SBOM,
	}
	applyBuildroot(&opts, in.Config.Buildroot)
	return opts
}
