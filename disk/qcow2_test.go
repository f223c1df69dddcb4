package disk

import (
	"encoding/binary"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/osbuildkit/osbuildkit/internal/blocksum"
)

// A qcow2 image of our own writing is one qemu-img finds consistent and
// equal in content to the raw image, at both compat levels, with and
// without direct I/O, and its digests are those of its blocks.
func TestWriteQCOW2(t *testing.T) {
	if _, err := exec.LookPath("qemu-img"); err != nil {
		t.Skip("qemu-img is not installed (make test installs it)")
	}
	dir := t.TempDir()
	raw := filepath.Join(dir, "disk.raw")
	// 1.5 GiB and 13 bytes: three L2 tables, the last one partly used, and
	// a short last cluster; data, a hole, a cluster of written zeros, a
	// cluster with one byte set, data beyond the 512 MiB of the first L2
	// table.
	const size = 3<<29 + 13
	f, err := os.Create(raw)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	put := func(off int64, b []byte) {
		if _, err := f.WriteAt(b, off); err != nil {
			t.Fatal(err)
		}
	}
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	put(0, random(3*qcowCluster+100))
	put(10*qcowCluster, make([]byte, qcowCluster)) // zeros, written
	put(20*qcowCluster+7, []byte{1})
	put(600<<20, random(5*qcowCluster))
	put(size-5, []byte{9, 9, 9, 9, 9})
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		compat  string
		direct  bool
		version uint32
	}{{"", false, 3}, {"0.10", false, 2}, {"1.1", true, 3}} {
		out := filepath.Join(dir, "disk"+tc.compat+".qcow2")
		if tc.direct && !directWrites(out) {
			t.Logf("%s does not take direct I/O; written through the cache", dir)
			tc.direct = false
		}
		sums, err := writeQCOW2(raw, out, tc.compat, tc.direct)
		if err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"check", out}, {"compare", "-f", "raw", "-F", "qcow2", raw, out}} {
			if b, err := exec.Command("qemu-img", args...).CombinedOutput(); err != nil {
				t.Errorf("qemu-img %s: %v\n%s", strings.Join(args, " "), err, b)
			}
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if v := binary.BigEndian.Uint32(b[4:]); v != tc.version {
			t.Errorf("compat %q: version %d, want %d", tc.compat, v, tc.version)
		}
		// header, 4 + 1 + 5 + 1 data clusters (the written zeros are
		// left out), 3 L2 tables, L1, refcounts, refcount table.
		if want := int64(1+11+3+1+1+1) * qcowCluster; int64(len(b)) != want {
			t.Errorf("compat %q: %d bytes, want %d", tc.compat, len(b), want)
		}
		want, err := blocksum.FileOn(out, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(sums) != len(want) {
			t.Fatalf("compat %q: %d digests for %d blocks", tc.compat, len(sums), len(want))
		}
		for i := range want {
			if sums[i] != want[i] {
				t.Fatalf("compat %q: block %d's digest differs from its content's", tc.compat, i)
			}
		}
	}
	if _, err := writeQCOW2(raw, filepath.Join(dir, "bad.qcow2"), "2", false); err == nil || !strings.Contains(err.Error(), `"2"`) {
		t.Errorf("compat 2: %v, want an error naming it", err)
	}
}
