package localbuild

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"syscall"
	"time"

	gateway "github.com/moby/buildkit/frontend/gateway/client"
	fstypes "github.com/tonistiigi/fsutil/types"
	"golang.org/x/sync/errgroup"

	"github.com/osbuildkit/osbuildkit/disk"
)

// A build whose export is a few files (a disk image, an ISO, an archive)
// copies them out of BuildKit with the gateway's ranged ReadFile, several
// ranges at once, rather than through BuildKit's tar exporter: the tar
// stream crosses BuildKit's session, a gRPC connection tunnelled through
// another, and both ends spend their time framing it (the reference qcow2,
// 708 MiB, in 8.5 s on our 2-core machines; ranged reads 3.3 s, build
// included: bench/results/rebuild-levers.md). Runs of zeros are not
// written, so a raw disk image arrives sparse. A tree (anything with a
// symbolic link, a device, extended attributes or more than
// fileCopyMaxEntries entries) goes through the tar exporter as before.

const (
	// fileCopyMaxEntries bounds what counts as a few files.
	fileCopyMaxEntries = 64
	// fileCopyChunk is one ranged read: under BuildKit's 16 MiB message.
	fileCopyChunk = 8 << 20
	// fileCopyParallel reads at once: more did not pay on 2 cores.
	fileCopyParallel = 4
)

// errNotFiles says the export is not a few plain files.
var errNotFiles = errors.New("not a few plain files")

// fileCopy copies an export's files into dir; BuildKit's tar exporter
// does it instead when the export is not a few plain files.
type fileCopy struct {
	// begin creates the directory to copy into.
	begin func() (string, error)
	// outDir is the output directory, for messages.
	outDir string
	// old is the previous build's file that path, below a directory begin
	// made, replaces (a delta copy's source), or nil.
	old func(dir, path string) *oldFile
	// status shows the copy in the build's progress, when set.
	status func(name string, started time.Time, done *time.Time)
	// copied is set once the files are in dir.
	copied bool
}

// copy copies res (one platform's result) into the directory, or returns
// errNotFiles, having written nothing, when it is not a few plain files.
// sums are the block digests the build's disk steps left, by path.
func (c *fileCopy) copy(ctx context.Context, gc gateway.Client, res *gateway.Result, sums map[string]builtSums) error {
	ref, err := singleRef(res)
	if err != nil {
		return err
	}
	var entries []*fstypes.Stat
	if err := listResult(ctx, ref, "", &entries); err != nil {
		return err
	}
	var total int64
	for _, e := range entries {
		total += e.Size
	}
	dir, err := c.begin()
	if err != nil {
		return err
	}
	files := "files"
	if len(entries) == 1 {
		files = "file"
	}
	name := fmt.Sprintf("copying %d %s (%s) to the output directory", len(entries), files, disk.HumanBytes(total))
	started := time.Now()
	if c.status != nil {
		c.status(name, started, nil)
	}
	for _, e := range entries {
		var old *oldFile
		if c.old != nil && e.Size >= deltaMin {
			old = c.old(dir, filepath.FromSlash(e.Path))
		}
		if err := copyEntry(ctx, ref, e, dir, old, inBuild(ctx, gc, helperState(), ref, e, sums[e.Path]), c.fetched); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return fmt.Errorf("copying %s into %s: the filesystem is full (no space left on device); nothing was moved into place", e.Path, c.outDir)
			}
			return fmt.Errorf("copying %s into %s: %w; nothing was moved into place", e.Path, c.outDir, err)
		}
	}
	// Directories' times once their contents are written.
	for i := len(entries) - 1; i >= 0; i-- {
		if e := entries[i]; os.FileMode(e.Mode).IsDir() {
			t := time.Unix(0, e.ModTime)
			if err := os.Chtimes(filepath.Join(dir, e.Path), t, t); err != nil {
				return err
			}
		}
	}
	c.copied = true
	if c.status != nil {
		done := time.Now()
		c.status(name, started, &done)
	}
	return nil
}

// fetched shows how much of a file a delta copy fetched; the rest came
// from the previous build's, patched in place or copied.
func (c *fileCopy) fetched(name string, d delta, size int64) {
	if c.status != nil {
		how := "copied"
		if d.patched {
			how = "patched in place"
		}
		now := time.Now()
		c.status(fmt.Sprintf("%s: %s of %s fetched, the rest taken from the previous output (%s)", name, disk.HumanBytes(d.fetched), disk.HumanBytes(size), how), now, &now)
	}
}

func singleRef(res *gateway.Result) (gateway.Reference, error) {
	if res == nil {
		return nil, errNotFiles
	}
	if res.Ref != nil && len(res.Refs) == 0 {
		return res.Ref, nil
	}
	if res.Ref == nil && len(res.Refs) == 1 {
		for _, r := range res.Refs {
			return r, nil
		}
	}
	return nil, errNotFiles
}

// listResult appends what is under dir in ref, parents before children,
// with paths relative to the result's root; errNotFiles as soon as it is
// not a few plain files and directories.
func listResult(ctx context.Context, ref gateway.Reference, dir string, out *[]*fstypes.Stat) error {
	stats, err := ref.ReadDir(ctx, gateway.ReadDirRequest{Path: "/" + dir})
	if err != nil {
		return err
	}
	for _, st := range stats {
		m := os.FileMode(st.Mode)
		if len(*out) >= fileCopyMaxEntries || len(st.Xattrs) > 0 || !(m.IsDir() || m.IsRegular()) {
			return errNotFiles
		}
		e := st.CloneVT()
		e.Path = path.Join(dir, path.Base(st.Path))
		*out = append(*out, e)
		if m.IsDir() {
			if err := listResult(ctx, ref, e.Path, out); err != nil {
				return err
			}
		}
	}
	return nil
}

// copyEntry writes one directory or file of the result below dir, with
// the result's mode, owner (when running as root, as tar does) and time;
// a file that replaces old is copied as a delta of it (delta.go), nf
// reading the new one.
func copyEntry(ctx context.Context, ref gateway.Reference, e *fstypes.Stat, dir string, old *oldFile, nf newFile, fetched func(string, delta, int64)) error {
	target := filepath.Join(dir, filepath.FromSlash(e.Path))
	m := os.FileMode(e.Mode)
	if m.IsDir() {
		if err := os.Mkdir(target, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
	} else if err := copyFile(ctx, ref, e, target, old, nf, fetched); err != nil {
		return err
	}
	if os.Geteuid() == 0 {
		if err := os.Lchown(target, int(e.Uid), int(e.Gid)); err != nil {
			return err
		}
	}
	// After chown, which clears set-user-ID bits.
	if err := os.Chmod(target, m&(os.ModePerm|os.ModeSetuid|os.ModeSetgid|os.ModeSticky)); err != nil {
		return err
	}
	t := time.Unix(0, e.ModTime)
	return os.Chtimes(target, t, t)
}

// copyFile copies a file as a delta of old, the previous build's, when
// there is one and it has blocks to reuse, else whole.
func copyFile(ctx context.Context, ref gateway.Reference, e *fstypes.Stat, target string, old *oldFile, nf newFile, fetched func(string, delta, int64)) error {
	if old != nil {
		d, err := copyDelta(ctx, nf, e, old, target)
		if err == nil {
			fetched(e.Path, d, e.Size)
			return nil
		}
		if !errors.Is(err, errNoDelta) {
			return err
		}
	}
	return copyContent(ctx, ref, e, target)
}

// copyContent writes the file's bytes by ranged reads, several at once,
// leaving holes where a range is all zeros.
func copyContent(ctx context.Context, ref gateway.Reference, e *fstypes.Stat, target string) error {
	f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	w := newWriter(f, e.Size >= deltaMin && directCopies())
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(fileCopyParallel)
	for off := int64(0); off < e.Size; off += fileCopyChunk {
		want := min(int64(fileCopyChunk), e.Size-off)
		g.Go(func() error {
			b, err := readRange(gctx, ref, "/"+e.Path, off, want)
			if err != nil {
				return err
			}
			return writeNonZero(w.writeAt, b, off)
		})
	}
	err = g.Wait()
	if cerr := w.close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = f.Truncate(e.Size)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// readRange reads want bytes of the file name at off, all of them.
func readRange(ctx context.Context, ref gateway.Reference, name string, off, want int64) ([]byte, error) {
	b, err := ref.ReadFile(ctx, gateway.ReadRequest{Filename: name, Range: &gateway.FileRange{Offset: int(off), Length: int(want)}})
	if err != nil {
		return nil, err
	}
	if int64(len(b)) != want {
		return nil, fmt.Errorf("read %d bytes at %d, expected %d (did the file change?)", len(b), off, want)
	}
	return b, nil
}

// holeBlock is the smallest run of zeros left as a hole.
const holeBlock = 64 << 10

var zeroBlock = make([]byte, holeBlock)

// writeNonZero writes b at off with writeAt, but for its holeBlock-aligned
// blocks of zeros, which the file's final size leaves as holes.
func writeNonZero(writeAt func([]byte, int64) error, b []byte, off int64) error {
	start := -1 // of the run of data being gathered
	for i := 0; i < len(b); i += holeBlock {
		blk := b[i:min(i+holeBlock, len(b))]
		zero := bytes.Equal(blk, zeroBlock[:len(blk)])
		switch {
		case !zero && start < 0:
			start = i
		case zero && start >= 0:
			if err := writeAt(b[start:i], off+int64(start)); err != nil {
				return err
			}
			start = -1
		}
	}
	if start >= 0 {
		return writeAt(b[start:], off+int64(start))
	}
	return nil
}
