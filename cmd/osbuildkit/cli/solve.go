package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	bkclient "github.com/moby/buildkit/client"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/util/progress/progressui"
	digest "github.com/opencontainers/go-digest"
	"golang.org/x/sync/errgroup"
)

// solve runs the build, showing progress and enforcing --stage-timeout.
func (b *builder) solve(ctx context.Context, c *bkclient.Client, opt bkclient.SolveOpt, build gateway.BuildFunc) error {
	var timeout time.Duration
	if b.f.stageTimeout != "" {
		d, err := time.ParseDuration(b.f.stageTimeout)
		if err != nil || d <= 0 {
			return fmt.Errorf("--stage-timeout %q: use a duration such as 90s or 30m", b.f.stageTimeout)
		}
		timeout = d
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	display, err := b.display()
	if err != nil {
		return err
	}
	statusCh := make(chan *bkclient.SolveStatus)
	displayCh := make(chan *bkclient.SolveStatus)
	eg, ectx := errgroup.WithContext(context.WithoutCancel(ctx))
	eg.Go(func() error {
		_, err := c.Build(ctx, opt, "osbuildkit", build, statusCh)
		return err
	})
	eg.Go(func() error {
		w := newWatchdog(timeout, cancel)
		defer close(displayCh)
		for st := range statusCh {
			w.update(st)
			if b.f.monitor == "JSONSeqMonitor" {
				writeMonitorRecords(b.e.stdout, st)
			}
			displayCh <- st
		}
		return nil
	})
	eg.Go(func() error {
		_, err := display.UpdateFrom(ectx, displayCh)
		return err
	})
	err = eg.Wait()
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	return err
}

func (b *builder) display() (progressui.Display, error) {
	mode := progressui.DisplayMode(b.f.progress)
	var w io.Writer = b.e.stderr
	if b.f.asJSON || b.f.monitor == "JSONSeqMonitor" {
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

// watchdog cancels the build when a step runs longer than the timeout.
type watchdog struct {
	mu      sync.Mutex
	timeout time.Duration
	running map[digest.Digest]*bkclient.Vertex
	cancel  context.CancelCauseFunc
}

func newWatchdog(timeout time.Duration, cancel context.CancelCauseFunc) *watchdog {
	w := &watchdog{timeout: timeout, running: map[digest.Digest]*bkclient.Vertex{}, cancel: cancel}
	if timeout > 0 {
		go w.watch()
	}
	return w
}

func (w *watchdog) update(st *bkclient.SolveStatus) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, v := range st.Vertexes {
		if v.Started != nil && v.Completed == nil {
			w.running[v.Digest] = v
		} else {
			delete(w.running, v.Digest)
		}
	}
}

func (w *watchdog) watch() {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for range tick.C {
		w.mu.Lock()
		var late []string
		for _, v := range w.running {
			if time.Since(*v.Started) > w.timeout {
				late = append(late, v.Name)
			}
		}
		w.mu.Unlock()
		if len(late) > 0 {
			sort.Strings(late)
			w.cancel(fmt.Errorf("%s ran longer than --stage-timeout %s and was cancelled", strings.Join(late, ", "), w.timeout))
			return
		}
	}
}
