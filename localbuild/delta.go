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
// sandbox hashes the new file's 4 KiB blocks, the CLI hashes the old
// file's and indexes them (while the build runs: oldFiles), and only the
// blocks the old file lacks cross BuildKit's session: a few runs of them
// read from the new file, many (a package added moves thousands) gathered
// into one file by a second step first, since a read through the session
// costs milliseconds; each block is checked against its digest;
// the kernel copies the rest from the old file (copy_file_range), and
// blocks of zeros stay holes. Should the old file change meanwhile (its
// size, times or inode), the file is copied whole instead. After a
// hostname change, under a MiB of the reference qcow2's 708 MiB is fetched.

// deltaMin is the size from which a file is copied as a delta.
const deltaMin = 64 << 20

// errNoDelta says a delta copy is not to be had: the old file has none of
// the new file's blocks, or changed while it was read.
var errNoDelta = errors.New("no delta")

// newFile is the file a delta copy writes, as it is read from the build.
type newFile struct {
	// sums hashes its blocks.
	sums func() ([]blocksum.Sum, error)
	// ref holds the file at name, for ranged reads of a few runs.
	ref  gateway.Reference
	name string
	// packed is a result holding at name the bytes of runs, one after the
	// other.
	packed func(runs []blocksum.Run) (ref gateway.Reference, name string, err error)
}

// builtSums is where the disk step that wrote a file left its block
// digests (stages.SumsFile): name in ref, when ref is set.
type builtSums struct {
	ref  gateway.Reference
	name string
}

// inBuild is the file e of ref, read by steps of the helper in the
// sandbox; its digests are the ones its disk step left (built), when it
// left them.
func inBuild(ctx context.Context, gc gateway.Client, helper llb.Helper, ref gateway.Reference, e *fstypes.Stat, built builtSums) newFile {
	return newFile{
		ref:  ref,
		name: e.Path,
		sums: func() ([]blocksum.Sum, error) {
			if built.ref != nil {
				if _, err := built.ref.StatFile(ctx, gateway.StatRequest{Path: built.name}); err == nil {
					return readSums(ctx, built.ref, built.name, e.Size)
				}
			}
			r, err := helperStep(ctx, gc, helper, ref, e, nil, "block digests of", blocksum.Command)
			if err != nil {
				return nil, err
			}
			return readSums(ctx, r, "/out", e.Size)
		},
		packed: func(runs []blocksum.Run) (gateway.Reference, string, error) {
			r, err := helperStep(ctx, gc, helper, ref, e, blocksum.EncodeRuns(runs), "missing blocks of", blocksum.PackCommand)
			return r, "/out", err
		},
	}
}

// helperStep runs the helper's subcommand cmd on the file e of ref, with
// input (if any) as its second argument; its result holds what it wrote
// at /out.
func helperStep(ctx context.Context, gc gateway.Client, helper llb.Helper, ref gateway.Reference, e *fstypes.Stat, input []byte, what, cmd string) (gateway.Reference, error) {
	st, err := ref.ToState()
	if err != nil {
		return nil, err
	}
	const in, arg, out = "/run/osbuild/in", "/run/osbuild/arg", "/run/osbuild/out"
	args := []string{stages.HelperPath, cmd, path.Join(in, e.Path)}
	opts := []bkllb.RunOption{
		bkllb.Dir("/"),
		bkllb.AddMount(stages.HelperDir, helper.State, bkllb.SourcePath(helper.Dir), bkllb.Readonly),
		bkllb.AddMount(in, st, bkllb.Readonly, bkllb.ContentCache(bkllb.MountContentCacheOff)),
		bkllb.Network(bkllb.NetModeNone),
		bkllb.WithCustomNamef("[export] %s %s", what, e.Path),
	}
	if input != nil {
		args = append(args, arg+"/in")
		opts = append(opts, bkllb.AddMount(arg, bkllb.Scratch().File(bkllb.Mkfile("/in", 0o644, input)), bkllb.Readonly))
	}
	run := bkllb.Scratch().Run(append(opts, bkllb.Args(append(args, out+"/out")))...)
	def, err := run.AddMount(out, bkllb.Scratch()).Marshal(ctx)
	if err != nil {
		return nil, err
	}
	res, err := gc.Solve(ctx, gateway.SolveRequest{Definition: def.ToPB()})
	if err != nil {
		return nil, fmt.Errorf("%s %s in the build: %w", what, e.Path, err)
	}
	return res.SingleRef()
}

// readSums reads the digests of a file of size bytes from name in ref, in
// ranged reads under BuildKit's message size: the digests of a 4 GiB
// file are 32 MiB.
func readSums(ctx context.Context, ref gateway.Reference, name string, size int64) ([]blocksum.Sum, error) {
	total := int64(blocksum.Blocks(size)) * sha256.Size
	b := make([]byte, 0, total)
	for off := int64(0); off < total; off += sumsChunk {
		want := min(sumsChunk, total-off)
		part, err := ref.ReadFile(ctx, gateway.ReadRequest{Filename: name, Range: &gateway.FileRange{Offset: int(off), Length: int(want)}})
		if err != nil {
			return nil, fmt.Errorf("reading the block digests: %w", err)
		}
		if int64(len(part)) != want {
			return nil, fmt.Errorf("read %d bytes of block digests at %d, expected %d", len(part), off, want)
		}
		b = append(b, part...)
	}
	return blocksum.Decode(b, size)
}

// sumsChunk is one ranged read of block digests, a whole number of them.
var sumsChunk int64 = fileCopyChunk

// delta is how a delta copy went: the bytes it fetched, and whether it
// patched the old file in place (inplace.go) rather than copying it.
type delta struct {
	fetched int64
	patched bool
}

// copyDelta writes the file e of nf to target from old and what old
// lacks. errNoDelta leaves no target behind.
func copyDelta(ctx context.Context, nf newFile, e *fstypes.Stat, old *oldFile, target string) (delta, error) {
	sums, err := nf.sums()
	if err != nil {
		return delta{}, err
	}
	index, id, err := old.wait()
	if err != nil {
		return delta{}, errNoDelta // unreadable: nothing to reuse
	}
	plan := index.Plan(sums)
	missing := missingRuns(plan, sums, e.Size)
	if plan.Reused == 0 || len(missing) > maxRuns {
		return delta{}, errNoDelta
	}
	if n, err := patchInPlace(ctx, nf, e, old, id, sums, index.Sums(), plan, missing, target); !errors.Is(err, errNotInPlace) {
		return delta{fetched: n, patched: err == nil}, err
	}
	src, err := os.Open(old.path)
	if err != nil {
		return delta{}, errNoDelta
	}
	defer src.Close()
	f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return delta{}, err
	}
	// The kernel copies from the old file while the build gathers and
	// sends what it lacks.
	var fetched int64
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := copyReused(f, src, plan, sums, e.Size); err != nil {
			return err
		}
		if now, err := statID(src); err != nil || now != id {
			return errNoDelta
		}
		return nil
	})
	if len(missing) > 0 {
		w := &writer{f: f}
		put := func(data []byte, off int64) error { return writeNonZero(w.writeAt, data, off) }
		g.Go(func() (err error) {
			fetched, err = fetchMissing(gctx, put, nf, e.Size, missing, sums)
			return err
		})
	}
	err = g.Wait()
	if err == nil {
		err = f.Truncate(e.Size)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, errNoDelta) {
		os.Remove(target)
	}
	return delta{fetched: fetched}, err
}

// maxRuns is the most runs of missing blocks a delta copy fetches (their
// list is a MiB of the build's definition); a file that different is
// copied whole.
var maxRuns = 1 << 16

// blockLen is the length of block i of a file of size bytes.
func blockLen(i int, size int64) int64 {
	return min(blocksum.Size, size-int64(i)*blocksum.Size)
}

// span is a run of blocks copied from the old file in one go.
type span struct{ to, from, n int64 }

// copyReused copies the blocks the plan found in old, in runs the kernel
// copies; blocks of zeros are left as holes.
func copyReused(f, old *os.File, plan blocksum.Plan, sums []blocksum.Sum, size int64) error {
	var spans []span
	for i, s := range sums {
		n, to := blockLen(i, size), int64(i)*blocksum.Size
		switch {
		case s == blocksum.Zero, plan.Old[i] < 0:
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
	return g.Wait()
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

// missingRuns are the runs of blocks the plan did not find in the old
// file, none longer than a ranged read; blocks of zeros are not fetched.
func missingRuns(plan blocksum.Plan, sums []blocksum.Sum, size int64) []blocksum.Run {
	var runs []blocksum.Run
	for i, s := range sums {
		if s == blocksum.Zero || plan.Old[i] >= 0 {
			continue
		}
		off, n := int64(i)*blocksum.Size, blockLen(i, size)
		if k := len(runs) - 1; k >= 0 && runs[k].Off+runs[k].Len == off && runs[k].Len+n <= fileCopyChunk {
			runs[k].Len += n
		} else {
			runs = append(runs, blocksum.Run{Off: off, Len: n})
		}
	}
	return runs
}

// fetchMissing reads the missing runs (missingReads), several ranged
// reads at once, checks each block against its digest, hands each run to
// put (at once, from several goroutines) and returns the bytes read.
func fetchMissing(ctx context.Context, put func(data []byte, off int64) error, nf newFile, size int64, missing []blocksum.Run, sums []blocksum.Sum) (int64, error) {
	ref, name, reads, err := missingReads(nf, missing)
	if err != nil {
		return 0, err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(fileCopyParallel)
	var fetched int64
	for _, rd := range reads {
		fetched += rd.n
		g.Go(func() error {
			b, err := readRange(gctx, ref, name, rd.off, rd.n)
			if err != nil {
				return err
			}
			for _, r := range rd.runs {
				data := b[:r.Len]
				b = b[r.Len:]
				for j := r.Off / blocksum.Size; j*blocksum.Size < r.Off+r.Len; j++ {
					blk := data[j*blocksum.Size-r.Off:][:blockLen(int(j), size)]
					if sha256.Sum256(blk) != sums[j] {
						return fmt.Errorf("block %d does not have the digest the build gave it (did the file change?)", j)
					}
				}
				if err := put(data, r.Off); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return fetched, g.Wait()
}

// rangedRead is a read of n bytes at off that holds runs, one after the
// other.
type rangedRead struct {
	off, n int64
	runs   []blocksum.Run
}

// missingReads are the reads that fetch the missing runs, and the file
// they read: up to directRuns runs are read from the new file itself (a
// read through the session costs milliseconds); more (a package added
// moves thousands) are first gathered into one file by a step of the
// helper (a fifth of a second), which is read in chunks.
func missingReads(nf newFile, missing []blocksum.Run) (gateway.Reference, string, []rangedRead, error) {
	var reads []rangedRead
	if len(missing) <= directRuns {
		for _, r := range missing {
			reads = append(reads, rangedRead{off: r.Off, n: r.Len, runs: []blocksum.Run{r}})
		}
		return nf.ref, nf.name, reads, nil
	}
	ref, name, err := nf.packed(missing)
	if err != nil {
		return nil, "", nil, err
	}
	var at int64 // in the packed file
	for first := 0; first < len(missing); {
		last, n := first, int64(0)
		for last < len(missing) && n+missing[last].Len <= fileCopyChunk {
			n += missing[last].Len
			last++
		}
		reads = append(reads, rangedRead{off: at, n: n, runs: missing[first:last]})
		first, at = last, at+n
	}
	return ref, name, reads, nil
}

// directRuns is the most runs of missing blocks read from the new file
// one by one, without gathering them first: a hostname change leaves a
// dozen.
var directRuns = 32
