package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/containerd/platforms"
	bkclient "github.com/moby/buildkit/client"
	"github.com/moby/buildkit/util/progress/progressui"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/osbuildkit/osbuildkit/frontend"
	"github.com/osbuildkit/osbuildkit/localbuild"
	"github.com/osbuildkit/osbuildkit/manifest"
)

// printer shows a build: progress and warnings on stderr, osbuild's result
// or monitor records on stdout, and the exit code of a failure.
type printer struct {
	e *env
	f *buildFlags
	// tail keeps the failed steps' logs of a quiet build, which shows none.
	tail *logTail
}

// progress shows a solve's progress with BuildKit's display, writing
// osbuild's monitor records as it goes when asked.
func (p *printer) progress(ctx context.Context, ch chan *bkclient.SolveStatus) ([]string, error) {
	display, err := p.display()
	if err != nil {
		for range ch { // the build waits until its progress is read
		}
		return nil, err
	}
	if p.f.monitor == "JSONSeqMonitor" {
		ch = teeStatus(ch, func(st *bkclient.SolveStatus) { localbuild.WriteMonitorRecords(p.e.stdout, st) })
	}
	if progressui.DisplayMode(p.f.progress) == progressui.QuietMode {
		if p.tail == nil {
			p.tail = newLogTail()
		}
		ch = teeStatus(ch, p.tail.add)
	}
	warnings, err := display.UpdateFrom(ctx, ch)
	var out []string
	for _, w := range warnings {
		out = append(out, string(w.Short))
	}
	return out, err
}

func (p *printer) display() (progressui.Display, error) {
	mode := progressui.DisplayMode(p.f.progress)
	var w io.Writer = p.e.stderr
	if p.f.asJSON || p.f.monitor == "JSONSeqMonitor" {
		// stdout carries machine-readable output; keep progress on stderr
		// and plain.
		if mode == progressui.AutoMode {
			mode = progressui.PlainMode
		}
	}
	if f, ok := w.(*os.File); mode == progressui.AutoMode && (!ok || !isTerminal(f)) {
		mode = progressui.PlainMode
	}
	return progressui.NewDisplay(w, mode)
}

// report prints what the build says beside its outputs.
func (p *printer) report(res *localbuild.Result) {
	if res == nil {
		return
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(p.e.stderr, "osbuildkit: warning: %s\n", w)
	}
	if res.CacheKept {
		fmt.Fprintln(p.e.stderr, "osbuildkit: nothing was rebuilt; the build cache is not exported again")
	}
	if res.UpToDate {
		fmt.Fprintln(p.e.stderr, "osbuildkit: nothing changed; the output is up to date")
	}
}

func (p *printer) fail(err error) int {
	if p.f.asJSON {
		writeJSON(p.e.stdout, manifest.Failed(err))
	}
	if p.tail != nil {
		p.tail.write(p.e.stderr)
	}
	fmt.Fprintf(p.e.stderr, "osbuildkit: build failed: %v\n", err)
	var le *manifest.LocationError
	var sf *frontend.StageFailure
	if errors.As(err, &sf) && sf.BadInput || errors.As(err, &le) && !errors.As(err, &sf) {
		return exitInvalid
	}
	return exitFailed
}

func (p *printer) succeed(m *manifest.Manifest, exports []string, ps []ocispecs.Platform) {
	if p.f.asJSON {
		writeJSON(p.e.stdout, m.Succeeded())
	}
	if p.f.outputDir != "" && !p.f.asJSON && p.f.monitor == "" {
		for _, e := range exports {
			if len(ps) < 2 {
				fmt.Fprintf(p.e.stdout, "%s: %s\n", e, filepath.Join(p.f.outputDir, e))
				continue
			}
			for _, pl := range ps {
				fmt.Fprintf(p.e.stdout, "%s (%s): %s\n", e, platforms.Format(pl), filepath.Join(p.f.outputDir, frontend.PlatformDir(pl), e))
			}
		}
	}
}
