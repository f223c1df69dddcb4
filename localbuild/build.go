package localbuild

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	bkclient "github.com/moby/buildkit/client"
	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/tonistiigi/fsutil"

	"github.com/osbuildkit/osbuildkit/frontend"
	"github.com/osbuildkit/osbuildkit/llb"
	"github.com/osbuildkit/osbuildkit/manifest"
)

// Options configure a build.
type Options struct {
	// Addr is the BuildKit daemon's address (DefaultAddr when empty).
	Addr string
	// OutputDir receives each export as OutputDir/PIPELINE; empty builds
	// without exporting.
	OutputDir string
	// TarExport sends every export through BuildKit's tar exporter, never
	// copying a few files out (fileCopy): to compare, or should the copy
	// ever fail.
	TarExport bool
	// Frontend says what to build and how: Config.Exports must name the
	// pipelines (the manifest's exports by default, as the caller
	// chooses); the layout is this package's.
	Frontend frontend.Config
	// CacheFrom and CacheTo are build cache imports and exports.
	CacheFrom, CacheTo []bkclient.CacheOptionsEntry
	// Allow grants entitlements (security.insecure).
	Allow []string
	// Progress shows each solve's progress; nil discards it.
	Progress ProgressFunc
	// Break stops the build before a stage for a shell on the terminal;
	// when the shell has ended (Break.Ended), Build returns without
	// exporting anything.
	Break *frontend.Break
}

// ProgressFunc reads a solve's progress until the channel is closed and
// returns the warnings it saw (progressui.Display.UpdateFrom does).
type ProgressFunc func(ctx context.Context, ch chan *bkclient.SolveStatus) ([]string, error)

// Result says what a build did.
type Result struct {
	// Warnings are the build's warnings (the stages' rules), in order.
	Warnings []string
	// UpToDate is set when nothing was rebuilt and the outputs are as the
	// previous build left them: nothing was sent again.
	UpToDate bool
	// CacheKept is set when CacheTo was given but nothing was rebuilt, so
	// the build cache was not exported again: re-exporting an all-cached
	// build could replace a complete registry cache with a lesser one.
	CacheKept bool
}

// Build builds m. It solves once without exporting, then exports what is
// needed: the outputs unless they are already there from an identical,
// fully cached build, and the build cache only when something was rebuilt.
func Build(ctx context.Context, m *manifest.Manifest, opt Options) (*Result, error) {
	if opt.Addr == "" {
		opt.Addr = DefaultAddr()
	}
	c, err := bkclient.New(ctx, opt.Addr)
	if err != nil {
		return nil, fmt.Errorf("connecting to BuildKit at %s: %w", opt.Addr, err)
	}
	defer c.Close()
	helperFS, cleanup, err := localHelper()
	if err != nil {
		return nil, err
	}
	defer cleanup()
	out, err := newOutput(opt.OutputDir, exportDirs(opt.Frontend.Exports, opt.Frontend.Platforms))
	if err != nil {
		return nil, err
	}
	defer out.cleanup()
	b := newBuild(m, opt, helperFS)
	b.execs.running = out.hashOld
	built, err := solve(ctx, c, b.solveOpt, b.buildFunc, b.execs, opt.Progress, nil)
	res := &Result{Warnings: built.warnings}
	if opt.Break != nil && opt.Break.Ended {
		return res, nil
	}
	if err != nil {
		return res, b.attributed(lostDaemon(opt.Addr, err, built.connected))
	}
	return res, b.attributed(b.export(ctx, c, out, built.rebuilt, res))
}

// stageFailed is BuildKit's error for a build whose frontend attributed
// the failure to a stage: it reads as BuildKit's, and errors.As finds the
// frontend's StageFailure, which does not cross BuildKit's gRPC as a type.
type stageFailed struct {
	error
	stage *frontend.StageFailure
}

func (e *stageFailed) Unwrap() []error { return []error{e.error, e.stage} }

// attributed is err with the stage failure the frontend returned, if any.
func (b *build) attributed(err error) error {
	if err == nil || b.failure == nil {
		return err
	}
	return &stageFailed{error: err, stage: b.failure}
}

// build is one build's solve options and frontend call.
type build struct {
	opt       Options
	solveOpt  bkclient.SolveOpt
	buildFunc gateway.BuildFunc
	execs     *execSet
	// failure is the stage failure the frontend returned, when it did.
	failure *frontend.StageFailure
	// copy, when set, copies the result's files out once it is built
	// (the export solve of a few files), showing itself through status.
	copy   *fileCopy
	status statusSink
}

func newBuild(m *manifest.Manifest, opt Options, helperFS fsutil.FS) *build {
	b := &build{opt: opt, execs: &execSet{}}
	b.solveOpt = bkclient.SolveOpt{
		LocalMounts:         map[string]fsutil.FS{helperLocalName: helperFS},
		FrontendAttrs:       map[string]string{buildNameAttr: buildName(m, opt.Frontend.Exports)},
		CacheImports:        opt.CacheFrom,
		AllowedEntitlements: opt.Allow,
	}
	cfg := opt.Frontend
	cfg.Layout = llb.ByName
	if len(cfg.Exports) == 1 && len(cfg.Platforms) < 2 {
		cfg.Layout = llb.Flat // exported straight into DIR/PIPELINE
	}
	sm := bkllb.NewSourceMap(nil, m.File().Name, "json", m.File().Data)
	b.buildFunc = func(ctx context.Context, gc gateway.Client) (*gateway.Result, error) {
		bc, err := dockerui.NewClient(gc)
		if err != nil {
			return nil, err
		}
		b.execs.reset()
		sums := map[string]builtSums{}
		in := frontend.Input{
			Manifest: m, SourceMap: sm, Helper: helperState(), Config: cfg, CacheImports: bc.CacheImports, Break: opt.Break,
			Observe: func(def *bkllb.Definition) {
				b.execs.add(def)
			},
			Sums: func(path string, ref gateway.Reference, name string) {
				sums[path] = builtSums{ref: ref, name: name}
			},
		}
		res, err := frontend.BuildPlatforms(ctx, gc, in, func() (*manifest.Manifest, error) {
			return manifest.Load(m.File().Name, m.File().Data)
		})
		if sf := (*frontend.StageFailure)(nil); errors.As(err, &sf) {
			b.failure = sf
		}
		if err == nil && b.copy != nil {
			if err = b.copy.copy(ctx, gc, res, sums); errors.Is(err, errNotFiles) {
				err = nil
			}
		}
		return res, err
	}
	return b
}

// export solves again, this time exporting what the first solve left to
// export; the second solve finds every step in the cache. A single
// platform's few files are copied out by the build function (fileCopy);
// anything else, or when they turn out not to be, BuildKit's tar exporter
// writes.
func (b *build) export(ctx context.Context, c *bkclient.Client, out *output, rebuilt bool, res *Result) error {
	stamps := out.stamps(b.execs.definition())
	opt := b.solveOpt
	haveCacheTo := len(b.opt.CacheTo) > 0
	d := decideExports(rebuilt, out.dir != "", stamps.current(), haveCacheTo, haveCacheTo && !rebuilt && cacheMissing(b.opt.CacheTo))
	if d.cache {
		opt.CacheExports = b.opt.CacheTo
	}
	res.CacheKept, res.UpToDate = d.cacheKept, d.upToDate
	if !d.outputs && !d.cache {
		return nil
	}
	if d.outputs && len(b.opt.Frontend.Platforms) < 2 && !b.opt.TarExport {
		b.copy = &fileCopy{begin: out.begin, outDir: out.dir, old: out.oldFile, status: b.status.vertex}
		err := b.solveExport(ctx, c, opt, out)
		copied := b.copy.copied
		b.copy = nil
		if err != nil || copied {
			return b.committed(err, out, stamps, copied)
		}
		opt.CacheExports = nil // exported by the solve that tried to copy
	}
	if d.outputs {
		opt.Exports = out.exports()
	}
	err := b.solveExport(ctx, c, opt, out)
	return b.committed(err, out, stamps, d.outputs)
}

// solveExport runs an export solve.
func (b *build) solveExport(ctx context.Context, c *bkclient.Client, opt bkclient.SolveOpt, out *output) error {
	if _, err := solve(ctx, c, opt, b.buildFunc, b.execs, b.opt.Progress, &b.status); err != nil {
		if uerr := out.unpack.failed(); uerr != nil {
			return uerr
		}
		return lostDaemon(b.opt.Addr, err, true)
	}
	return nil
}

// committed moves an export solve's outputs into place, when it wrote
// them and succeeded.
func (b *build) committed(err error, out *output, stamps *stamps, outputs bool) error {
	if err != nil || !outputs {
		return err
	}
	if err := out.commit(); err != nil {
		return err
	}
	return stamps.save()
}

// exportDecision is what the second solve exports.
type exportDecision struct {
	outputs, cache      bool
	cacheKept, upToDate bool
}

// decideExports exports the outputs unless the same build left them there
// unchanged, and the build cache only when something was rebuilt (an
// all-cached build, say from a registry cache, must not overwrite a
// complete registry cache with a lesser one) or the registry has no cache
// under that reference yet (cacheMissing: nothing to overwrite).
func decideExports(rebuilt, haveOutput, outputCurrent, haveCacheTo, cacheMissing bool) exportDecision {
	var d exportDecision
	d.outputs = haveOutput && (rebuilt || !outputCurrent)
	d.cache = haveCacheTo && (rebuilt || cacheMissing)
	d.cacheKept = haveCacheTo && !d.cache
	d.upToDate = haveOutput && !d.outputs && !d.cache
	return d
}

// buildNameAttr names a build in BuildKit's history (docker buildx
// history ls), as buildx reads it; the in-process frontend ignores it.
const buildNameAttr = "build-arg:BUILDKIT_BUILD_NAME"

// buildName is what the history lists for a CLI build: the manifest's
// file and the pipelines exported.
func buildName(m *manifest.Manifest, exports []string) string {
	name := filepath.Base(m.File().Name)
	if len(exports) > 0 {
		name += " (" + strings.Join(exports, ", ") + ")"
	}
	return name
}
