package localbuild

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"runtime"

	bkllb "github.com/moby/buildkit/client/llb"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	fstypes "github.com/tonistiigi/fsutil/types"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sys/unix"

	"github.com/osbuildkit/osbuildkit/internal/blocksum"
	"github.com/osbuildkit/osbuildkit/llb"
	"github.com/osbuildkit/osbuildkit/stages"
)

// A large file that the output directory already has under the same name
// (the disk image of the build before) is copied as a delta: a step in the
// sandbox hashes the new file's 64 KiB blocks, the CLI hashes the old
// file's (while the build runs: oldFiles), and only the blocks the old
// file lacks cross BuildKit's session, each checked against its digest;
// the kernel copies the rest from the old file (copy_file_range), and
// blocks of zeros stay holes. Should the old file change meanwhile (its
// size, times or inode), the file is copied whole instead. After a
// hostname change, under a MiB of the reference qcow2's 708 MiB is fetched.

// deltaMin is the size from which a file is copied as a delta.
const deltaMin = 64 << 20

// errNoDelta says a delta copy is not to be had: the old file has none of
// the new file's blocks, or changed while it was read.
var errNoDelta = errors.New("no delta")

// blockSums runs the helper in the sandbox to hash file's blocks in ref.
func blockSums(ctx context.Context, gc gateway.Client, helper llb.Helper, ref gateway.Reference, e *fstypes.Stat) ([]blocksum.Sum, error) {
	st, err := ref.ToState()
	if err != nil {
		return nil, err
	}
	const in, out = "/run/osbuild/in", "/run/osbuild/out"
	run := bkllb.Scratch().Run(
		bkllb.Args([]string{stages.HelperPath, blocksum.Command, path.Join(in, e.Path), out + "/sums"}),
		bkllb.Dir("/"),
		bkllb.AddMount(stages.HelperDir, helper.State, bkllb.SourcePath(helper.Dir), bkllb.Readonly),
		bkllb.AddMount(in, st, bkllb.Readonly, bkllb.ContentCache(bkllb.MountContentCacheOff)),
		bkllb.Network(bkllb.NetModeNone),
		bkllb.WithCustomNamef("[export] block digests of %s", e.Path),
	)
	def, err := run.AddMount(out, bkllb.Scratch()).Marshal(ctx)
	if err != nil {
		return nil, err
	}
	res, err := gc.Solve(ctx, gateway.SolveRequest{Definition: def.ToPB()})
	if err != nil {
		return nil, fmt.Errorf("hashing %s in the build: %w", e.Path, err)
	}
	sref, err := res.SingleRef()
	if err != nil {
		return nil, err
	}
	b, err := sref.ReadFile(ctx, gateway.ReadRequest{Filename: "/sums"})
	if err != nil {
		return nil, err
	}
	return blocksum.Decode(b, e.Size)
}

// copyDelta writes the file e of ref to target from old and ranged reads
// of what old lacks; it returns the bytes fetched. newSums hashes the new
// file. errNoDelta leaves no target behind.
func copyDelta(ctx context.Context, newSums func() ([]blocksum.Sum, error), ref gateway.Reference, e *fstypes.Stat, old *oldFile, target string) (int64, error) {
	sums, err := newSums()
	if err != nil {
		return 0, err
	}
	oldSums, id, err := old.wait()
	if err != nil {
		return 0, errNoDelta // unreadable: nothing to reuse
	}
	plan := blocksum.NewPlan(sums, oldSums)
	if plan.Reused == 0 {
		return 0, errNoDelta
	}
	src, err := os.Open(old.path)
	if err != nil {
		return 0, errNoDelta
	}
	defer src.Close()
	f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, err
	}
	missing, err := copyReused(f, src, plan, sums, e.Size)
	if err == nil {
		if now, serr := statID(src); serr != nil || now != id {
			err = errNoDelta
		}
	}
	var fetched int64
	if err == nil {
		fetched, err = fetchMissing(ctx, f, ref, e, missing, sums)
	}
	if err == nil {
		err = f.Truncate(e.Size)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, errNoDelta) {
		os.Remove(target)
	}
	return fetched, err
}

// blockLen is the length of block i of a file of size bytes.
func blockLen(i int, size int64) int64 {
	return min(blocksum.Size, size-int64(i)*blocksum.Size)
}

// span is a run of blocks copied from the old file in one go.
type span struct{ to, from, n int64 }

// copyReused copies the blocks the plan found in old, in runs the kernel
// copies, and returns the blocks still to fetch; blocks of zeros are left
// as holes.
func copyReused(f, old *os.File, plan blocksum.Plan, sums []blocksum.Sum, size int64) ([]bool, error) {
	missing := make([]bool, len(sums))
	var spans []span
	for i, s := range sums {
		n, to := blockLen(i, size), int64(i)*blocksum.Size
		switch {
		case s == blocksum.Zero:
		case plan.Old[i] < 0:
			missing[i] = true
		default:
			if k := len(spans) - 1; k >= 0 && spans[k].to+spans[k].n == to && spans[k].from+spans[k].n == plan.Old[i] && spans[k].n < fileCopyChunk {
				spans[k].n += n
			} else {
				spans = append(spans, span{to, plan.Old[i], n})
			}
		}
	}
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for _, sp := range spans {
		g.Go(func() error { return copySpan(f, old, sp) })
	}
	return missing, g.Wait()
}

// copySpan copies one span within the kernel, or through a buffer where
// the kernel cannot (another filesystem).
func copySpan(f, old *os.File, sp span) error {
	for sp.n > 0 {
		from, to := sp.from, sp.to
		w, err := unix.CopyFileRange(int(old.Fd()), &from, int(f.Fd()), &to, int(sp.n), 0)
		if errors.Is(err, unix.EXDEV) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EOPNOTSUPP) {
			_, err := io.Copy(io.NewOffsetWriter(f, sp.to), io.NewSectionReader(old, sp.from, sp.n))
			return err
		}
		if err != nil {
			return err
		}
		if w == 0 {
			return errNoDelta // the old file is shorter than it was
		}
		sp.from, sp.to, sp.n = sp.from+int64(w), sp.to+int64(w), sp.n-int64(w)
	}
	return nil
}

// fetchMissing reads the missing blocks from ref, runs of them at once,
// checks each against its digest and returns the bytes read.
func fetchMissing(ctx context.Context, f *os.File, ref gateway.Reference, e *fstypes.Stat, missing []bool, sums []blocksum.Sum) (int64, error) {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(fileCopyParallel)
	const most = fileCopyChunk / blocksum.Size
	var fetched int64
	for i := 0; i < len(missing); {
		if !missing[i] {
			i++
			continue
		}
		first := i
		for i < len(missing) && missing[i] && i-first < most {
			i++
		}
		last := i
		off := int64(first) * blocksum.Size
		want := int64(last-1-first)*blocksum.Size + blockLen(last-1, e.Size)
		fetched += want
		g.Go(func() error {
			b, err := readRange(gctx, ref, e, off, want)
			if err != nil {
				return err
			}
			for j := first; j < last; j++ {
				blk := b[int64(j-first)*blocksum.Size:][:blockLen(j, e.Size)]
				if sha256.Sum256(blk) != sums[j] {
					return fmt.Errorf("block %d does not have the digest the build gave it (did the file change?)", j)
				}
			}
			return writeNonZero(f, b, off)
		})
	}
	return fetched, g.Wait()
}
