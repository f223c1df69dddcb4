package localbuild

import (
	"os"
	"sync"
	"syscall"

	"github.com/osbuildkit/osbuildkit/disk"
	"github.com/osbuildkit/osbuildkit/internal/blocksum"
)

// A file copied whole is written with direct I/O where the host takes back
// free memory (disk/directio.go says why): the copy of a 700 MB image
// then costs the disk's time, not a fault on the host for every page the
// page cache would take anew.

// writer writes a file's ranges, what it can with direct I/O.
type writer struct {
	f      *os.File // buffered: the unaligned tail
	direct *os.File // or nil
	bufs   sync.Pool
}

// newWriter writes to f, with direct I/O where that pays and is to be had.
func newWriter(f *os.File, direct bool) *writer {
	w := &writer{f: f}
	if direct {
		if d, err := os.OpenFile(f.Name(), os.O_WRONLY|syscall.O_DIRECT, 0); err == nil {
			w.direct = d
		}
	}
	return w
}

// writeAt writes b at off: its whole aligned blocks directly when off is
// aligned, the rest through the page cache.
func (w *writer) writeAt(b []byte, off int64) error {
	n := len(b) &^ (blocksum.Align - 1)
	if w.direct == nil || off%blocksum.Align != 0 || n == 0 {
		_, err := w.f.WriteAt(b, off)
		return err
	}
	for done := 0; done < n; {
		buf := w.buffer()
		k := copy(buf[:min(len(buf), n-done)], b[done:n])
		_, err := w.direct.WriteAt(buf[:k], off+int64(done))
		w.put(buf)
		if err != nil {
			return err
		}
		done += k
	}
	if n < len(b) {
		_, err := w.f.WriteAt(b[n:], off+int64(n))
		return err
	}
	return nil
}

// buffer is an aligned buffer of a ranged read's size.
func (w *writer) buffer() []byte {
	if p, ok := w.bufs.Get().(*[]byte); ok {
		return *p
	}
	return blocksum.AlignedBuffer(fileCopyChunk)
}

// put gives back a buffer from buffer.
func (w *writer) put(b []byte) { w.bufs.Put(&b) }

// close closes the direct descriptor; the caller closes f.
func (w *writer) close() error {
	if w.direct == nil {
		return nil
	}
	return w.direct.Close()
}

// directCopies says whether whole copies are written with direct I/O.
var directCopies = disk.HostTakesFreeMemory
