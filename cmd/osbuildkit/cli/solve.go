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
	bkllb "github.com/moby/buildkit/client/llb"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/util/progress/progressui"
	digest "github.com/opencontainers/go-digest"
	"golang.org/x/sync/errgroup"
)

// solveStats says what a build did.
type solveStats struct {
	// rebuilt is set when an exec step ran rather than coming from the
	// cache. (File operations and sources are deterministic; BuildKit also
	// reports them uncached when it merely reuses a recent result.)
	rebuilt bool
	// connected is set once BuildKit has sent anything.
	connected bool
	// warnings are what the build warned about (plan-time warnings of the
	// stages), in order.
	warnings []string
}

// execSet holds the digests of a build's exec ops.
type execSet struct {
	mu  sync.Mutex
	set map[digest.Digest]bool
}

func (e *execSet) add(def *bkllb.Definition) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.set = map[digest.Digest]bool{}
	for _, b := range def.Def {
		var op pb.Op
		if op.UnmarshalVT(b) == nil && op.GetExec() != nil {
			e.set[digest.FromBytes(b)] = true
		}
	}
}

func (e *execSet) has(d digest.Digest) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.set[d]
}

// solve runs the build, showing progress and enforcing --stage-timeout.
func (b *builder) solve(ctx context.Context, c *bkclient.Client, opt bkclient.SolveOpt, build gateway.BuildFunc, execs *execSet) (solveStats, error) {
	var stats solveStats
	timeout := b.f.timeout
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	display, err := b.display()
	if err != nil {
		return stats, err
	}
	statusCh := make(chan *bkclient.SolveStatus)
	displayCh := make(chan *bkclient.SolveStatus)
	// Not errgroup.WithContext: when the build fails or is interrupted,
	// the display must go on reading until BuildKit closes the status
	// channel, or the forwarder below blocks and the build never returns.
	var eg errgroup.Group
	eg.Go(func() error {
		_, err := c.Build(ctx, opt, "osbuildkit", build, statusCh)
		return err
	})
	eg.Go(func() error {
		w := newWatchdog(timeout, cancel)
		defer close(displayCh)
		for st := range statusCh {
			stats.connected = true
			w.update(st)
			for _, v := range st.Vertexes {
				if v.Completed != nil && !v.Cached && execs.has(v.Digest) {
					stats.rebuilt = true
				}
			}
			if b.f.monitor == "JSONSeqMonitor" {
				writeMonitorRecords(b.e.stdout, st)
			}
			displayCh <- st
		}
		return nil
	})
	eg.Go(func() error {
		warnings, err := display.UpdateFrom(context.WithoutCancel(ctx), displayCh)
		for _, w := range warnings {
			stats.warnings = append(stats.warnings, string(w.Short))
		}
		return err
	})
	err = eg.Wait()
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return stats, cause
	}
	return stats, err
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
