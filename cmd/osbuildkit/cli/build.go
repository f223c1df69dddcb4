package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"syscall"

	bkllb "github.com/moby/buildkit/client/llb"

	"github.com/osbuildkit/osbuildkit/artifact"
	"github.com/osbuildkit/osbuildkit/frontend"
	"github.com/osbuildkit/osbuildkit/llb"
	"github.com/osbuildkit/osbuildkit/localbuild"
	"github.com/osbuildkit/osbuildkit/manifest"
)

func init() {
	register(command{name: "build", summary: "build a manifest with BuildKit; exports go to DIR/PIPELINE like osbuild", args: "MANIFEST", run: runBuild})
}

func runBuild(e *env, args []string) int {
	fs := newFlags(e, "build", "MANIFEST")
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
	brk, restore, err := breakTerminal(e, &f)
	if err != nil {
		return usageError(e, err)
	}
	defer restore()
	opt, code := f.options(e, m)
	if code != exitOK {
		return code
	}
	opt.Break = brk
	if f.push != "" && f.outputDir == "" {
		tmp, err := os.MkdirTemp("", "osbuildkit-push-")
		if err != nil {
			fmt.Fprintf(e.stderr, "osbuildkit: %v\n", err)
			return exitFailed
		}
		defer os.RemoveAll(tmp)
		f.outputDir, opt.OutputDir = tmp, tmp
	}
	return buildAndReport(e, &f, m, opt, restore)
}

// buildAndReport runs the build the flags describe and reports it: the
// exit status, the push, a --break shell's end.
func buildAndReport(e *env, f *buildFlags, m *manifest.Manifest, opt localbuild.Options, restore func()) int {
	brk := opt.Break
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	p := &printer{e: e, f: f}
	opt.Progress = p.progress
	res, err := localbuild.Build(ctx, m, opt)
	p.report(res)
	if brk != nil && brk.Ended {
		restore()
		return breakEnded(e, brk)
	}
	if err != nil {
		if ctx.Err() != nil {
			// BuildKit cancels the steps that were running; completed ones
			// stay in its cache for the next build.
			fmt.Fprintln(e.stderr, "osbuildkit: interrupted; the build was cancelled and nothing was exported")
			return exitInterrupted
		}
		return p.fail(err)
	}
	if f.push != "" {
		if err := pushExport(e, filepath.Join(f.outputDir, opt.Frontend.Exports[0]), f.push); err != nil {
			return p.fail(fmt.Errorf("pushing to %s: %w", f.push, err))
		}
	}
	p.succeed(m, opt.Frontend.Exports, opt.Frontend.Platforms)
	return exitOK
}

// exportEnv=tar sends every export through BuildKit's tar exporter
// (localbuild.Options.TarExport).
const exportEnv = "OSBUILDKIT_EXPORT"

// options turns the flags into the build's options, rejecting before any
// work what cannot build: bad flags, unknown exports, missing entitlements.
func (f *buildFlags) options(e *env, m *manifest.Manifest) (localbuild.Options, int) {
	opt, err := f.parse()
	if err != nil {
		return opt, usageError(e, err)
	}
	if len(opt.Frontend.Exports) == 0 {
		opt.Frontend.Exports = m.Exports
	}
	switch v := os.Getenv(exportEnv); v {
	case "":
	case "tar":
		opt.TarExport = true
	default:
		return opt, usageError(e, fmt.Errorf("%s=%q: set it to tar (every export through BuildKit's tar exporter) or leave it unset", exportEnv, v))
	}
	if f.push != "" && len(opt.Frontend.Exports) != 1 {
		return opt, usageError(e, fmt.Errorf("--push takes one export, not %d", len(opt.Frontend.Exports)))
	}
	if f.push != "" && len(opt.Frontend.Platforms) > 1 {
		return opt, usageError(e, fmt.Errorf("--push takes one platform, not %d: push each platform's export on its own", len(opt.Frontend.Platforms)))
	}
	if len(opt.Frontend.Platforms) == 1 {
		frontend.WithDefaultArch(m, frontend.DebianArch(opt.Frontend.Platforms[0]))
	}
	breakAt := f.breakAt
	if breakAt == frontend.BreakOnError {
		breakAt = "" // not a stage: the build runs as usual until a step fails
	}
	res, err := planManifest(m, opt.Frontend.Exports, breakAt)
	if err != nil {
		fmt.Fprintf(e.stderr, "osbuildkit: %v\n", err)
		return opt, exitInvalid
	}
	if len(res.Insecure) > 0 && !slices.Contains(opt.Allow, "security.insecure") {
		fmt.Fprintf(e.stderr, "osbuildkit: %v\n", frontend.NewEntitlementError(res.Insecure, nil))
		return opt, exitInvalid
	}
	return opt, exitOK
}

// planManifest runs every stage's own checks on the pipelines the exports
// need (all of them when exports is empty), and finds --break's stage,
// without a daemon.
func planManifest(m *manifest.Manifest, exports []string, breakAt string) (*llb.Result, error) {
	return llb.Compile(context.Background(), m, llb.Options{Helper: llb.Helper{State: bkllb.Scratch(), Dir: "/"}, Exports: exports, Break: breakAt})
}

func pushExport(e *env, dir, ref string) error {
	a, doc, err := artifact.FromExport(dir)
	if err != nil {
		return err
	}
	dgst, err := a.Push(ref, false)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "pushed %s@%s\n", ref, dgst)
	return pushSBOM(e, a, ref, false, doc)
}

// pushSBOM attaches the SBOM file doc to the pushed artifact a as its
// referrer; nothing when doc is empty.
func pushSBOM(e *env, a *artifact.Artifact, ref string, insecure bool, doc string) error {
	if doc == "" {
		return nil
	}
	at, err := a.PushReferrer(ref, insecure, doc)
	if err != nil {
		return fmt.Errorf("attaching the SBOM %s: %w", doc, err)
	}
	fmt.Fprintf(e.stderr, "attached its SBOM %s\n", at)
	return nil
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
