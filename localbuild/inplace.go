package localbuild

import (
	"context"
	"errors"
	"os"
	"sync"

	fstypes "github.com/tonistiigi/fsutil/types"
	"golang.org/x/sys/unix"

	"github.com/osbuildkit/osbuildkit/internal/blocksum"
)

// A rebuilt file whose blocks mostly sit where the old file has them (a
// hostname change leaves the reference qcow2 lacking 216 KiB of its
// 709 MiB, at the same offsets) is patched in place rather than copied: the old file is moved
// into the export's temporary directory, which puts it back under its name
// once the build is done, and only the blocks that differ are written. A
// copy of the rest writes the whole image anew where the filesystem shares
// no extents (ext4): 1.2–1.5 s of a 4 s hostname rebuild.
//
// It is not done where someone might see the file change under them: a
// file with other hard links, or one another process has open (a VM booted
// from the last image holds it open): the kernel then refuses a write
// lease, and while we hold one, whoever opens the file waits until the
// blocks are written. Everything that can fail on the way (fetching the
// missing blocks, reading the moved ones) happens before the file is
// moved; after that only local writes remain. Should one fail, the
// patched file is removed and the file copied whole: the previous image
// is then gone, never half-written under its name.

// inPlaceMax is the most bytes a patch writes (held in memory until the
// file is moved); a file that different is copied.
var inPlaceMax int64 = 64 << 20

// errNotInPlace says the file is to be copied, not patched.
var errNotInPlace = errors.New("not patched in place")

// piece is bytes to write at an offset of the patched file.
type piece struct {
	off  int64
	data []byte
}

// patchInPlace makes target the old file with the blocks of the new one
// (sums) that it lacks at their offsets; it returns the bytes fetched.
// errNotInPlace leaves everything as it was; errNoDelta says a failed
// patch was removed.
func patchInPlace(ctx context.Context, nf newFile, e *fstypes.Stat, old *oldFile, id fileID, sums, oldSums []blocksum.Sum, plan blocksum.Plan, missing []blocksum.Run, target string) (int64, error) {
	moved, holes, n := patchPlan(sums, oldSums, plan, e.Size)
	for _, r := range missing {
		n += r.Len
	}
	if n > inPlaceMax {
		return 0, errNotInPlace
	}
	f, err := os.OpenFile(old.path, os.O_RDWR, 0)
	if err != nil {
		return 0, errNotInPlace
	}
	defer f.Close()
	if !alone(f, id) {
		return 0, errNotInPlace
	}
	defer unix.FcntlInt(f.Fd(), unix.F_SETLEASE, unix.F_UNLCK)
	var pieces []piece
	for _, sp := range moved {
		b := make([]byte, sp.n)
		if _, err := f.ReadAt(b, sp.from); err != nil {
			return 0, errNotInPlace
		}
		pieces = append(pieces, piece{sp.to, b})
	}
	var fetched int64
	if len(missing) > 0 {
		var mu sync.Mutex
		put := func(data []byte, off int64) error {
			mu.Lock()
			defer mu.Unlock()
			pieces = append(pieces, piece{off, data})
			return nil
		}
		if fetched, err = fetchMissing(ctx, put, nf, e.Size, missing, sums); err != nil {
			return 0, err
		}
	}
	if ctx.Err() != nil {
		return 0, ctx.Err()
	}
	if err := os.Rename(old.path, target); err != nil {
		return 0, errNotInPlace // another filesystem: nothing was changed
	}
	if err := patch(f, pieces, holes, e.Size); err != nil {
		os.Remove(target)
		return 0, errNoDelta
	}
	return fetched, nil
}

// patchPlan is what patching the old file takes: the runs of blocks to
// copy from elsewhere in it, the runs of zeros to leave as holes (punched
// wherever the new file has them, as a copy leaves them), and the bytes
// the copies write.
func patchPlan(sums, oldSums []blocksum.Sum, plan blocksum.Plan, size int64) (moved, holes []span, n int64) {
	for i, s := range sums {
		to, l := int64(i)*blocksum.Size, blockLen(i, size)
		switch {
		case s == blocksum.Zero:
			holes = extend(holes, span{to: to, n: l}, false)
		case i < len(oldSums) && oldSums[i] == s:
			// Already there.
		case plan.Old[i] >= 0:
			moved = extend(moved, span{to: to, from: plan.Old[i], n: l}, true)
			n += l
		}
	}
	return moved, holes, n
}

// extend appends sp to spans, or lengthens the last span by it where it
// follows on (in the old file too, when from counts).
func extend(spans []span, sp span, from bool) []span {
	if k := len(spans) - 1; k >= 0 && spans[k].to+spans[k].n == sp.to && (!from || spans[k].from+spans[k].n == sp.from) {
		spans[k].n += sp.n
		return spans
	}
	return append(spans, sp)
}

// alone says whether f is the file that was hashed (id), has no other
// name, and nobody else has it open; if so, f now holds a write lease on
// it, which makes whoever opens it wait until it is released.
func alone(f *os.File, id fileID) bool {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil || st.Nlink != 1 {
		return false
	}
	if idOf(&st) != id {
		return false
	}
	_, err := unix.FcntlInt(f.Fd(), unix.F_SETLEASE, unix.F_WRLCK)
	return err == nil
}

// patch writes the pieces into f, punches the holes and sets its size.
func patch(f *os.File, pieces []piece, holes []span, size int64) error {
	for _, p := range pieces {
		if _, err := f.WriteAt(p.data, p.off); err != nil {
			return err
		}
	}
	if err := f.Truncate(size); err != nil {
		return err
	}
	for _, h := range holes {
		err := unix.Fallocate(int(f.Fd()), unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, h.to, h.n)
		if errors.Is(err, unix.EOPNOTSUPP) {
			err = writeZeros(f, h)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// writeZeros writes zeros over h where the filesystem punches no holes.
func writeZeros(f *os.File, h span) error {
	for off := h.to; off < h.to+h.n; off += holeBlock {
		if _, err := f.WriteAt(zeroBlock[:min(holeBlock, h.to+h.n-off)], off); err != nil {
			return err
		}
	}
	return nil
}
