package localbuild

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// A large file copied whole with direct I/O arrives byte for byte, its
// zeros holes, its unaligned tail written too, and the page cache does
// not hold it.
func TestFileCopyDirect(t *testing.T) {
	defer func(v func() bool) { directCopies = v }(directCopies)
	directCopies = func() bool { return true }
	src := t.TempDir()
	size := int64(deltaMin + 2*fileCopyChunk + 4096 + 3)
	img := make([]byte, size)
	rng := rand.New(rand.NewPCG(3, 4))
	for _, at := range []int64{0, fileCopyChunk + holeBlock + 10, deltaMin - 4000, size - 5000} {
		for i := at; i < min(at+3*holeBlock, size); i++ {
			img[i] = byte(rng.Uint32())
		}
	}
	if err := os.WriteFile(filepath.Join(src, "disk.raw"), img, 0o644); err != nil {
		t.Fatal(err)
	}
	dir, _, err := copyInto(t, &dirRef{root: src})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "disk.raw")
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cs unix.Cachestat_t
	if err := unix.Cachestat(uint(f.Fd()), &unix.CachestatRange{}, &cs, 0); err != nil {
		t.Skipf("no cachestat here to tell direct writes: %v", err)
	}
	got, err := os.ReadFile(out)
	if err != nil || !bytes.Equal(got, img) {
		t.Fatalf("the copied image differs (%d bytes, %v)", len(got), err)
	}
	// Written through the page cache, its data (four runs of 192 KiB) would
	// be about 200 pages in it.
	if cs.Cache > 8 {
		probe, perr := os.OpenFile(filepath.Join(dir, "probe"), os.O_CREATE|os.O_WRONLY|syscall.O_DIRECT, 0o644)
		if perr != nil {
			t.Skipf("%s takes no direct I/O", dir)
		}
		probe.Close()
		t.Errorf("%d pages of the copy are in the page cache: it was not written with direct I/O", cs.Cache)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(out, &st); err != nil {
		t.Fatal(err)
	}
	if allocated := st.Blocks * 512; allocated > 16*holeBlock {
		t.Errorf("the copied image has %d bytes allocated; its zeros should be holes", allocated)
	}
}
