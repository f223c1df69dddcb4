package blocksum

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// openForHashing opens path for reading, for direct I/O when the page
// cache holds little of the file and none of it dirty. A disk image that
// was just written with direct I/O is then read from the disk without
// filling the page cache with it: on a virtual machine whose host takes
// back free memory, every page the cache takes anew costs a fault on the
// host, and 700 MB of them cost seconds. A file the cache holds (or
// partly holds dirty, which a direct read would first write out) is read
// through the cache, as is any file where direct I/O is not to be had.
func openForHashing(path string) (f *os.File, direct bool, err error) {
	f, err = os.Open(path)
	if err != nil || !mostlyUncached(f) {
		return f, false, err
	}
	d, err := os.OpenFile(path, os.O_RDONLY|unix.O_DIRECT, 0)
	if err != nil {
		return f, false, nil
	}
	f.Close()
	return d, true, nil
}

// mostlyUncached says whether less than a tenth of f's pages are in the
// page cache and none of them dirty. Without cachestat(2) (Linux 6.5) it
// says no.
func mostlyUncached(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil || fi.Size() == 0 {
		return false
	}
	var st unix.Cachestat_t
	if unix.Cachestat(uint(f.Fd()), &unix.CachestatRange{}, &st, 0) != nil {
		return false
	}
	pages := uint64(fi.Size()+int64(os.Getpagesize())-1) / uint64(os.Getpagesize())
	return st.Dirty == 0 && st.Writeback == 0 && st.Cache*10 < pages
}

// Align is what direct I/O wants of offsets, lengths and buffers.
const Align = 4096

// AlignedBuffer is n bytes at an address direct I/O accepts.
func AlignedBuffer(n int) []byte {
	b := make([]byte, n+Align)
	off := 0
	if r := int(uintptr(unsafe.Pointer(&b[0])) % Align); r != 0 {
		off = Align - r
	}
	return b[off : off+n : off+n]
}
