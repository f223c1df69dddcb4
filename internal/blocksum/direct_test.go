package blocksum

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// A file out of the page cache is hashed with direct reads, to the same
// digests; a file with dirty pages is read through the cache.
func TestFileDirect(t *testing.T) {
	const blocks = 4096 + 77
	data := make([]byte, blocks*Size+123) // a short last block
	for i := range data {
		data[i] = byte(i/Size) ^ byte(i/Size>>8) ^ byte(i)
	}
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, direct, err := openForHashing(path)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if direct {
		t.Error("a file just written (its pages dirty) would be read with direct I/O")
	}
	f, err = os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
		t.Fatal(err)
	}
	f.Close()
	f, direct, err = openForHashing(path)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if !direct {
		t.Skipf("no direct reads of %s out of the page cache here (no cachestat, or no O_DIRECT on its filesystem)", path)
	}
	sums, err := File(path)
	if err != nil {
		t.Fatal(err)
	}
	checkSums(t, sums, data)
}
