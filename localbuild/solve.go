package localbuild

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	bkclient "github.com/moby/buildkit/client"
	bkllb "github.com/moby/buildkit/client/llb"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/util/grpcerrors"
	digest "github.com/opencontainers/go-digest"
	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc/codes"
)

// solveStats says what a solve did.
type solveStats struct {
	// rebuilt is set when an exec step ran rather than coming from the
	// cache. (File operations and sources are deterministic; BuildKit also
	// reports them uncached when it merely reuses a recent result.)
	rebuilt bool
	// connected is set once BuildKit has sent anything.
	connected bool
	// warnings are what the build warned about, in order.
	warnings []string
}

// execSet holds the digests of a build's exec ops, and of its definitions
// (one per platform), from the frontend's last call.
type execSet struct {
	mu   sync.Mutex
	set  map[digest.Digest]bool
	defs []string
	// running, when set, is called once, when an exec step starts to
	// run rather than coming from the cache.
	running func()
	once    sync.Once
}

// observe reads a status update: it calls running once an exec step has
// started without coming from the cache, and says whether one completed
// that way (the build rebuilt something).
func (e *execSet) observe(st *bkclient.SolveStatus) (rebuilt bool) {
	for _, v := range st.Vertexes {
		if v.Cached || !e.has(v.Digest) {
			continue
		}
		if v.Started != nil && e.running != nil {
			e.once.Do(e.running)
		}
		if v.Completed != nil {
			rebuilt = true
		}
	}
	return rebuilt
}

// reset forgets the previous call's definitions: a solve calls the
// frontend afresh.
func (e *execSet) reset() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.set, e.defs = map[digest.Digest]bool{}, nil
}

// add records a definition the frontend solves; a multi-platform build
// solves one per platform, at once.
func (e *execSet) add(def *bkllb.Definition) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.set == nil {
		e.set = map[digest.Digest]bool{}
	}
	e.defs = append(e.defs, definitionDigest(def))
	for _, b := range def.Def {
		var op pb.Op
		if op.UnmarshalVT(b) == nil && op.GetExec() != nil {
			e.set[digest.FromBytes(b)] = true
		}
	}
}

// definition identifies what the frontend solved: the definition's digest,
// or for several, a digest of theirs in order.
func (e *execSet) definition() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch len(e.defs) {
	case 0:
		return ""
	case 1:
		return e.defs[0]
	}
	ds := slices.Clone(e.defs)
	slices.Sort(ds)
	sum := sha256.Sum256([]byte(strings.Join(ds, "\n")))
	return hex.EncodeToString(sum[:])
}

func (e *execSet) has(d digest.Digest) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.set[d]
}

// statusSink lets the build function show work of its own in the
// progress of the solve it runs in (solve sets it for the solve's length).
type statusSink struct {
	mu sync.Mutex
	ch chan<- *bkclient.SolveStatus
}

func (s *statusSink) set(ch chan<- *bkclient.SolveStatus) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ch = ch
}

// vertex shows a step of the CLI's own, started, or done when done is set.
func (s *statusSink) vertex(name string, started time.Time, done *time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		return
	}
	s.ch <- &bkclient.SolveStatus{Vertexes: []*bkclient.Vertex{{
		Digest: digest.FromString("osbuildkit cli: " + name), Name: name, Started: &started, Completed: done,
	}}}
}

// solve runs the build once, handing its progress to the ProgressFunc;
// the build function can add its own to it through sink (nil: none).
func solve(ctx context.Context, c *bkclient.Client, opt bkclient.SolveOpt, build gateway.BuildFunc, execs *execSet, progress ProgressFunc, sink *statusSink) (solveStats, error) {
	var stats solveStats
	statusCh := make(chan *bkclient.SolveStatus)
	displayCh := make(chan *bkclient.SolveStatus)
	if sink != nil {
		// The build function returns before BuildKit closes statusCh,
		// and so before displayCh closes.
		sink.set(displayCh)
		defer sink.set(nil)
	}
	// Not errgroup.WithContext: when the build fails or is interrupted,
	// the display must go on reading until BuildKit closes the status
	// channel, or the forwarder below blocks and the build never returns.
	opt.Session = append(opt.Session, registryAuth())
	var eg errgroup.Group
	eg.Go(func() error {
		_, err := c.Build(ctx, opt, "osbuildkit", build, statusCh)
		return err
	})
	eg.Go(func() error {
		defer close(displayCh)
		for st := range statusCh {
			stats.connected = true
			if execs.observe(st) {
				stats.rebuilt = true
			}
			displayCh <- st
		}
		return nil
	})
	eg.Go(func() error {
		warnings, err := show(ctx, progress, displayCh)
		stats.warnings = warnings
		return err
	})
	return stats, eg.Wait()
}

// show hands a solve's status updates to progress until the channel
// closes (nil progress: they are read and dropped), even after ctx is
// cancelled, so BuildKit never blocks on it.
func show(ctx context.Context, progress ProgressFunc, ch chan *bkclient.SolveStatus) ([]string, error) {
	if progress == nil {
		for range ch {
		}
		return nil, nil
	}
	return progress(context.WithoutCancel(ctx), ch)
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
