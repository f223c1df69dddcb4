package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	bkclient "github.com/moby/buildkit/client"
	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/util/grpcerrors"
	"github.com/tonistiigi/fsutil"
	"google.golang.org/grpc/codes"

	"github.com/osbuildkit/osbuildkit/frontend"
	"github.com/osbuildkit/osbuildkit/llb"
	"github.com/osbuildkit/osbuildkit/manifest"
)

func init() {
	register(command{name: "build", summary: "build a manifest with BuildKit; exports go to DIR/PIPELINE like osbuild", run: runBuild})
}

type buildFlags struct {
	addr, outputDir, progress, monitor, buildroot, push        string
	exports, cacheFromSpecs, cacheToSpecs, allow, noCacheStage stringList
	checkpoints                                                stringList
	cacheMaxSize, stageTimeout, sourceTimeoutFlag, store       string
	// Parsed from the strings above by parse.
	timeout, sourceTimeout time.Duration
	cacheTo, cacheFrom     []bkclient.CacheOptionsEntry
	asJSON, noCache        bool
}

func (f *buildFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.addr, "addr", "", "BuildKit daemon address (default $BUILDKIT_HOST)")
	fs.StringVar(&f.outputDir, "output-directory", "", "write each export to DIR/PIPELINE")
	fs.Var(&f.exports, "export", "pipeline to export (repeatable; default: the manifest's exports)")
	fs.StringVar(&f.progress, "progress", "auto", "progress display: auto, tty, plain, quiet or rawjson")
	fs.StringVar(&f.monitor, "monitor", "", "osbuild monitor: JSONSeqMonitor streams JSON-seq records on stdout")
	fs.StringVar(&f.push, "push", "", "push the export's disk image file to REF as an OCI artifact")
	fs.StringVar(&f.buildroot, "buildroot", "", "image to use as the host buildroot instead of debian:bookworm plus tools")
	fs.Var(&f.cacheFromSpecs, "cache-from", "import build cache, e.g. type=registry,ref=REF (repeatable)")
	fs.Var(&f.cacheToSpecs, "cache-to", "export build cache, e.g. type=registry,ref=REF,mode=max (repeatable)")
	fs.Var(&f.allow, "allow", "grant an entitlement: security.insecure (repeatable)")
	fs.Var(&f.noCacheStage, "no-cache-stage", "re-run a stage: pipeline name, stage type or stage ID (repeatable)")
	fs.BoolVar(&f.noCache, "no-cache", false, "re-run every step")
	fs.BoolVar(&f.asJSON, "json", false, "print osbuild's result object on stdout")
	fs.Var(&f.checkpoints, "checkpoint", "osbuild compatibility: every stage is cached by BuildKit anyway (accepted, no effect)")
	fs.StringVar(&f.cacheMaxSize, "cache-max-size", "", "osbuild compatibility: BuildKit's cache size is set on the daemon (gckeepstorage); accepted, no effect")
	fs.StringVar(&f.store, "store", "", "osbuild compatibility: BuildKit keeps its own store (accepted, no effect)")
	fs.StringVar(&f.store, "cache", "", "osbuild compatibility: alias of --store")
	fs.StringVar(&f.stageTimeout, "stage-timeout", "", "cancel the build when one stage runs longer than this (e.g. 30m)")
	fs.StringVar(&f.sourceTimeoutFlag, "source-timeout", "", "fail a download that has not completed after this long (default 10m)")
}

func runBuild(e *env, args []string) int {
	fs := newFlags(e, "build")
	var f buildFlags
	f.register(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return usageError(e, err)
	}
	if len(pos) != 1 {
		return usageError(e, errors.New("build takes one MANIFEST (a path or -)"))
	}
	m, code := loadManifest(e, pos[0], f.asJSON)
	if m == nil {
		return code
	}
	exports := []string(f.exports)
	if len(exports) == 0 {
		exports = m.Exports
	}
	if code := checkBuildInput(e, m, &f, exports); code != exitOK {
		return code
	}
	if f.push != "" {
		if len(exports) != 1 {
			return usageError(e, fmt.Errorf("--push takes one export, not %d", len(exports)))
		}
		if f.outputDir == "" {
			tmp, err := os.MkdirTemp("", "osbuildkit-push-")
			if err != nil {
				fmt.Fprintf(e.stderr, "osbuildkit: %v\n", err)
				return exitFailed
			}
			defer os.RemoveAll(tmp)
			f.outputDir = tmp
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	b := &builder{e: e, f: &f, m: m, exports: exports}
	if err := b.run(ctx); err != nil {
		if ctx.Err() != nil {
			// BuildKit cancels the steps that were running; completed ones
			// stay in its cache for the next build.
			fmt.Fprintln(e.stderr, "osbuildkit: interrupted; the build was cancelled and nothing was exported")
			return exitInterrupted
		}
		return b.fail(err)
	}
	if f.push != "" {
		dgst, err := pushSingleExport(filepath.Join(f.outputDir, exports[0]), f.push)
		if err != nil {
			return b.fail(fmt.Errorf("pushing to %s: %w", f.push, err))
		}
		fmt.Fprintf(e.stderr, "pushed %s@%s\n", f.push, dgst)
	}
	b.succeed()
	return exitOK
}

// planManifest runs every stage's own checks on the pipelines the exports
// need (all of them when exports is empty), without a daemon.
func planManifest(m *manifest.Manifest, exports []string) (*llb.Result, error) {
	return llb.Compile(context.Background(), m, llb.Options{Helper: llb.Helper{State: bkllb.Scratch(), Dir: "/"}, Exports: exports})
}

// checkBuildInput rejects, before any work, what cannot build: unknown
// exports, missing entitlements, bad flags.
func checkBuildInput(e *env, m *manifest.Manifest, f *buildFlags, exports []string) int {
	if err := f.parse(); err != nil {
		return usageError(e, err)
	}
	if f.monitor != "" && f.monitor != "JSONSeqMonitor" && f.monitor != "NullMonitor" && f.monitor != "LogMonitor" {
		return usageError(e, fmt.Errorf("--monitor %q: use JSONSeqMonitor, LogMonitor or NullMonitor", f.monitor))
	}
	for _, a := range f.allow {
		if a != "security.insecure" && a != "network.host" {
			return usageError(e, fmt.Errorf("--allow %q: osbuildkit stages use only security.insecure", a))
		}
	}
	res, err := planManifest(m, exports)
	if err != nil {
		fmt.Fprintf(e.stderr, "osbuildkit: %v\n", err)
		return exitInvalid
	}
	if len(res.Insecure) > 0 && !slices.Contains(f.allow, "security.insecure") {
		fmt.Fprintf(e.stderr, "osbuildkit: %v\n", frontend.NewEntitlementError(res.Insecure, nil))
		return exitInvalid
	}
	return exitOK
}

func reportLoadError(e *env, err error, asJSON bool) int {
	if asJSON {
		if res, ok := manifest.ResultOf(err); ok {
			writeJSON(e.stdout, res)
			return exitInvalid
		}
	}
	var ve *manifest.ValidationError
	if errors.As(err, &ve) {
		fmt.Fprint(e.stderr, ve.Error())
	} else {
		fmt.Fprintf(e.stderr, "osbuildkit: %v\n", err)
	}
	return exitInvalid
}

// builder runs one in-process build.
type builder struct {
	e       *env
	f       *buildFlags
	m       *manifest.Manifest
	exports []string
}

func (b *builder) run(ctx context.Context) error {
	addr := b.f.addr
	if addr == "" {
		addr = os.Getenv("BUILDKIT_HOST")
	}
	if addr == "" {
		addr = "unix:///run/buildkit/buildkitd.sock"
	}
	c, err := bkclient.New(ctx, addr)
	if err != nil {
		return fmt.Errorf("connecting to BuildKit at %s: %w", addr, err)
	}
	defer c.Close()
	helperFS, cleanup, err := localHelper()
	if err != nil {
		return err
	}
	defer cleanup()
	cacheTo, cacheFrom := b.f.cacheTo, b.f.cacheFrom
	layout := llb.ByName
	if len(b.exports) == 1 {
		layout = llb.Flat // exported straight into DIR/PIPELINE
	}
	out, err := newOutput(b.f.outputDir, b.exports)
	if err != nil {
		return err
	}
	defer out.cleanup()
	opt := bkclient.SolveOpt{
		LocalMounts:         map[string]fsutil.FS{helperLocalName: helperFS},
		FrontendAttrs:       map[string]string{}, // BuildKit v0.34.2 panics on nil with --cache-from
		CacheImports:        cacheFrom,
		AllowedEntitlements: b.f.allow,
	}
	cfg := frontend.Config{Exports: b.exports, Layout: layout, NoCache: b.f.noCacheStage, NoCacheAll: b.f.noCache, Buildroot: b.f.buildroot, SourceTimeout: b.f.sourceTimeout}
	sm := bkllb.NewSourceMap(nil, b.m.File().Name, "json", b.m.File().Data)
	var definition string
	execs := &execSet{}
	build := func(ctx context.Context, gc gateway.Client) (*gateway.Result, error) {
		bc, err := dockerui.NewClient(gc)
		if err != nil {
			return nil, err
		}
		return frontend.BuildManifest(ctx, gc, frontend.Input{
			Manifest: b.m, SourceMap: sm, Helper: helperState(), Config: cfg, CacheImports: bc.CacheImports,
			Observe: func(def *bkllb.Definition) {
				definition = definitionDigest(def)
				execs.add(def)
			},
		})
	}
	// First build without exporting anything, then export what is needed:
	// outputs unless they are already there from an identical, fully
	// cached build; build cache only when something was rebuilt, so an
	// all-cached build (from a registry cache, say) never overwrites a
	// complete registry cache with a lesser one.
	built, err := b.solve(ctx, c, opt, build, execs)
	for _, w := range built.warnings {
		fmt.Fprintf(b.e.stderr, "osbuildkit: warning: %s\n", w)
	}
	if err != nil {
		return lostDaemon(addr, err, built.connected)
	}
	stamps := out.stamps(definition)
	if built.rebuilt || !stamps.current() {
		opt.Exports = out.exports()
	}
	if built.rebuilt {
		opt.CacheExports = cacheTo
	} else if len(cacheTo) > 0 {
		fmt.Fprintln(b.e.stderr, "osbuildkit: nothing was rebuilt; the build cache is not exported again")
	}
	if len(opt.Exports) == 0 && len(opt.CacheExports) == 0 {
		if out.dir != "" {
			fmt.Fprintln(b.e.stderr, "osbuildkit: nothing changed; the output is up to date")
		}
		return nil
	}
	if _, err := b.solve(ctx, c, opt, build, execs); err != nil {
		if uerr := out.unpack.failed(); uerr != nil {
			return uerr
		}
		return lostDaemon(addr, err, true)
	}
	if len(opt.Exports) == 0 {
		return nil
	}
	if err := out.commit(); err != nil {
		return err
	}
	return stamps.save()
}

// lostDaemon explains a broken connection to buildkitd: never reached (not
// running, wrong address) or lost mid-build (it stopped or restarted).
func lostDaemon(addr string, err error, connected bool) error {
	msg := err.Error()
	unavailable := grpcerrors.Code(err) == codes.Unavailable || strings.Contains(msg, "error reading from server") ||
		strings.Contains(msg, "transport is closing") || strings.Contains(msg, "connection reset by peer") ||
		strings.Contains(msg, "Error while dialing")
	switch {
	case !unavailable:
		return err
	case !connected:
		return fmt.Errorf("cannot reach BuildKit at %s: is buildkitd running there? (`make env` starts one; --addr or BUILDKIT_HOST picks another): %w", addr, err)
	}
	return fmt.Errorf("lost the connection to BuildKit at %s (did buildkitd stop or restart?); steps that completed are in its cache, so build again: %w", addr, err)
}

func (b *builder) fail(err error) int {
	var sf *frontend.StageFailure
	if b.f.asJSON {
		res := map[string]any{"type": "error", "success": false, "error": map[string]any{"type": "org.osbuild.error.build", "message": err.Error()}}
		if errors.As(err, &sf) {
			res["error"] = map[string]any{"type": "org.osbuild.error.stage", "message": err.Error(),
				"details": map[string]any{"stage": map[string]any{"id": sf.Stage.ID, "type": sf.Stage.Type, "pipeline": sf.Pipeline, "index": sf.Stage.Index}}}
		}
		writeJSON(b.e.stdout, res)
	}
	fmt.Fprintf(b.e.stderr, "osbuildkit: build failed: %v\n", err)
	var le *manifest.LocationError
	if errors.As(err, &le) && !errors.As(err, &sf) {
		return exitInvalid
	}
	return exitFailed
}

func (b *builder) succeed() {
	if b.f.asJSON {
		ids := map[string]any{}
		for _, pl := range b.m.Pipelines {
			ids[pl.Name] = pl.ID
		}
		writeJSON(b.e.stdout, map[string]any{"type": "result", "success": true, "metadata": map[string]any{}, "pipelines": ids})
	}
	if b.f.outputDir != "" && !b.f.asJSON && b.f.monitor == "" {
		for _, e := range b.exports {
			fmt.Fprintf(b.e.stdout, "%s: %s\n", e, filepath.Join(b.f.outputDir, e))
		}
	}
}

// parse checks and converts the flags that need it, before any work.
func (f *buildFlags) parse() error {
	var err error
	if f.stageTimeout != "" {
		if f.timeout, err = frontend.ParseTimeout(f.stageTimeout); err != nil {
			return fmt.Errorf("--stage-timeout %w", err)
		}
	}
	if f.sourceTimeoutFlag != "" {
		if f.sourceTimeout, err = frontend.ParseTimeout(f.sourceTimeoutFlag); err != nil {
			return fmt.Errorf("--source-timeout %w", err)
		}
	}
	if f.cacheTo, err = parseCacheOptions(f.cacheToSpecs); err != nil {
		return fmt.Errorf("--cache-to: %w", err)
	}
	if f.cacheFrom, err = parseCacheOptions(f.cacheFromSpecs); err != nil {
		return fmt.Errorf("--cache-from: %w", err)
	}
	return nil
}
