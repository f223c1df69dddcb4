package frontend

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/gateway/client"
	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc/status"

	"github.com/osbuildkit/osbuildkit/llb"
)

// DefaultSourceTimeout bounds each download when no source-timeout is given.
// BuildKit's HTTP source itself never gives up on a server that stops
// answering.
const DefaultSourceTimeout = 10 * time.Minute

// parallelDownloads is how many sources are fetched at once.
const parallelDownloads = 8

// errSourceHangs marks a download that did not complete within the
// source timeout.
var errSourceHangs = errors.New("the server hangs or is too slow")

// watchDelay is how long the download watcher waits for the build to start.
const watchDelay = time.Second

// watchDownloads watches the build's downloads alongside the build (BuildKit
// runs each once for both): a hanging one cancels the build after the
// source timeout, and a failed one is explained. It waits a moment first, so
// a build refused outright (a missing entitlement) starts no download. The
// channel receives the watcher's result.
func watchDownloads(ctx context.Context, cancel context.CancelCauseFunc, c client.Client, res *llb.Result, in Input, marshalOpts []bkllb.ConstraintsOpt) <-chan error {
	fetched := make(chan error, 1)
	go func() {
		select {
		case <-time.After(watchDelay):
		case <-ctx.Done():
			fetched <- nil
			return
		}
		err := fetchSources(ctx, c, res, in.Config.SourceTimeout, in.CacheImports, marshalOpts)
		// Only a hang stops the build: any other failure the build meets
		// itself, if it needs the file at all (downloadFault then names it
		// with this error); a build whose steps all come from a cache
		// needs none (a locked build on a builder without the mirror).
		if errors.Is(err, errSourceHangs) {
			cancel(err)
		}
		fetched <- err
	}()
	return fetched
}

// downloadFault returns the watcher's error for a build that failed at a
// download or was cancelled by the watcher (it names the fault best: a 404
// reads as a checksum mismatch to BuildKit); otherwise the build's error.
func downloadFault(ctx context.Context, fetched <-chan error, err error) error {
	var sf *SourceFailure
	if !errors.As(err, &sf) && context.Cause(ctx) == nil {
		return err
	}
	if ferr := <-fetched; ferr != nil {
		return ferr
	}
	return err
}

// fetchSources downloads the build's curl sources before the build, each
// within the timeout, so a hanging server fails the build with the URL
// named instead of stalling it. The main solve then finds them cached
// (same ops); a failed or wrong download is never cached, as BuildKit
// checks the checksum before it commits the result.
func fetchSources(ctx context.Context, c client.Client, res *llb.Result, timeout time.Duration, cacheImports []client.CacheOptionsEntry, marshalOpts []bkllb.ConstraintsOpt) error {
	if timeout <= 0 {
		timeout = DefaultSourceTimeout
	}
	eg, ctx := errgroup.WithContext(ctx)
	eg.SetLimit(parallelDownloads)
	for _, sum := range slices.Sorted(maps.Keys(res.Downloads)) {
		d := res.Downloads[sum]
		eg.Go(func() error {
			def, err := d.State.Marshal(ctx, append(marshalOpts, bkllb.LinuxAmd64)...)
			if err != nil {
				return fmt.Errorf("marshalling the download of %s: %w", d.URL, err)
			}
			timedOut, err := solveWithin(ctx, c, def, timeout, cacheImports)
			switch {
			case err == nil:
				return nil
			case timedOut:
				return fmt.Errorf("downloading %s: no complete answer within %s: %w; raise the limit with --source-timeout (osbuildkit), --opt source-timeout=DURATION (buildctl) or --build-arg OSBUILDKIT_SOURCE_TIMEOUT=DURATION (buildx)", d.URL, timeout, errSourceHangs)
			case ctx.Err() != nil:
				return ctx.Err()
			}
			dctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			return lockedPackageGone(d, diagnoseMismatch(dctx, c, d, sourceFailure(err, d.URL, sum)))
		})
	}
	return eg.Wait()
}

// lockedPackageGone says what to do when the file that failed is a
// locked package: the mirror moved on, so lock again.
func lockedPackageGone(d llb.Download, failure error) error {
	var sf *SourceFailure
	if d.Package != "" && errors.As(failure, &sf) {
		sf.Reason += fmt.Sprintf("; this is the locked package %s, which the mirror no longer serves as locked: run osbuildkit lock --update MANIFEST to lock what it has now", d.Package)
	}
	return failure
}

// SourceFailure is a download that failed, in words that name the URL and
// what went wrong.
type SourceFailure struct {
	URL    string
	Reason string
	Err    error
}

func (e *SourceFailure) Error() string { return "downloading " + e.URL + ": " + e.Reason }

func (e *SourceFailure) Unwrap() error { return e.Err }

// GRPCStatus keeps this message when the error crosses BuildKit's gRPC
// boundary (otherwise the wrapped error's own status would be shown).
func (e *SourceFailure) GRPCStatus() *status.Status { return keepMessage(e, e.Err) }

// sourceFailure explains a failed download: a checksum mismatch names both
// digests, a connection cut short says so.
func sourceFailure(err error, url, want string) error {
	msg := err.Error()
	if m := digestMismatch.FindStringSubmatch(msg); m != nil {
		got := m[1]
		if got == want {
			got = m[2]
		}
		return &SourceFailure{URL: url, Reason: fmt.Sprintf("checksum mismatch: the manifest expects %s, the download is %s", want, got), Err: err}
	}
	if m := badStatus.FindStringSubmatch(msg); m != nil {
		code, _ := strconv.Atoi(m[1])
		return &SourceFailure{URL: url, Reason: fmt.Sprintf("the server answered %d %s", code, http.StatusText(code)), Err: err}
	}
	if strings.Contains(msg, "unexpected EOF") {
		return &SourceFailure{URL: url, Reason: "the connection closed before the whole file arrived (unexpected EOF); nothing was kept", Err: err}
	}
	return &SourceFailure{URL: url, Reason: msg, Err: err}
}

// diagnoseMismatch fetches the URL once more without the checksum, which
// makes BuildKit check the HTTP status: BuildKit hashes the body of an
// error page (404 and the like) when a checksum is pinned, so a missing
// file would otherwise read as a checksum mismatch.
func diagnoseMismatch(ctx context.Context, c client.Client, d llb.Download, failure error) error {
	var sf *SourceFailure
	if !errors.As(failure, &sf) || !digestMismatch.MatchString(sf.Err.Error()) {
		return failure
	}
	def, err := bkllb.HTTP(d.URL, bkllb.WithCustomNamef("[sources] org.osbuild.curl %s (checking the server's answer)", d.URL)).Marshal(ctx, bkllb.LinuxAmd64)
	if err != nil {
		return failure
	}
	_, err = c.Solve(ctx, client.SolveRequest{Definition: def.ToPB(), Evaluate: true})
	if err != nil && badStatus.MatchString(err.Error()) {
		return sourceFailure(err, d.URL, "")
	}
	return failure
}

var (
	// digestMismatch matches BuildKit's HTTP source error.
	digestMismatch = regexp.MustCompile(`digest mismatch (sha\d+:[0-9a-f]+): (sha\d+:[0-9a-f]+)`)
	badStatus      = regexp.MustCompile(`invalid response status (\d+)`)
)
