package localbuild

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	fstypes "github.com/tonistiigi/fsutil/types"

	"github.com/osbuildkit/osbuildkit/internal/blocksum"
)

// deltaFiles writes an old file and a new one made from it as a rebuilt
// qcow2 is: a block changed, a block inserted (every later block moves by
// one), a run of zeros, a shorter last block.
func deltaFiles(t *testing.T) (oldPath, newDir string, newData []byte) {
	t.Helper()
	const bs = blocksum.Size
	r := rand.New(rand.NewPCG(1, 2))
	old := make([]byte, 40*bs+100)
	for i := range old {
		old[i] = byte(r.Uint32())
	}
	clear(old[10*bs : 12*bs]) // zeros, which stay holes
	fresh := bytes.Repeat([]byte("inserted"), bs/8)
	var nw []byte
	nw = append(nw, old[:5*bs]...)
	nw = append(nw, fresh...)           // block 5 is new
	nw = append(nw, old[5*bs:20*bs]...) // blocks 6–20 were 5–19
	changed := bytes.Clone(old[20*bs : 21*bs])
	changed[7] ^= 0xff
	nw = append(nw, changed...)          // block 21 changed
	nw = append(nw, old[21*bs:40*bs]...) // blocks 22–40 were 21–39
	nw = append(nw, []byte("tail")...)   // a short last block of its own
	dir := t.TempDir()
	oldPath = filepath.Join(dir, "old.qcow2")
	newDir = filepath.Join(dir, "new")
	if err := os.WriteFile(oldPath, old, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(newDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(newDir, "disk.qcow2"), nw, 0o644); err != nil {
		t.Fatal(err)
	}
	return oldPath, newDir, nw
}

func TestCopyDelta(t *testing.T) {
	oldPath, newDir, want := deltaFiles(t)
	ref, e := newFileRef(t, newDir)
	sums := func() ([]blocksum.Sum, error) { return blocksum.File(filepath.Join(newDir, "disk.qcow2")) }
	target := filepath.Join(t.TempDir(), "disk.qcow2")
	fetched, err := copyDelta(context.Background(), sums, ref, e, hashed(oldPath), target)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(target)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("the delta copy differs from the new file (%d bytes, want %d; %v)", len(got), len(want), err)
	}
	// Fetched: the inserted block, the changed one, the short tail.
	if fetched != 2*blocksum.Size+4 {
		t.Errorf("fetched %d bytes, want two blocks and the tail (%d)", fetched, 2*blocksum.Size+4)
	}
	if ref.reads != 3 {
		t.Errorf("%d ranged reads, want 3", ref.reads)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(target, &st); err != nil {
		t.Fatal(err)
	}
	if allocated := st.Blocks * 512; allocated > int64(len(want))-2*blocksum.Size+4096 {
		t.Errorf("%d bytes allocated; the two blocks of zeros should be a hole", allocated)
	}
}

// A file the old one shares nothing with is copied whole; a new file that
// is not what its digests say fails the copy.
func TestCopyDeltaRefuses(t *testing.T) {
	oldPath, newDir, _ := deltaFiles(t)
	ref, e := newFileRef(t, newDir)
	other := filepath.Join(t.TempDir(), "other")
	if err := os.WriteFile(other, bytes.Repeat([]byte{7}, 3*blocksum.Size), 0o644); err != nil {
		t.Fatal(err)
	}
	sums := func() ([]blocksum.Sum, error) { return blocksum.File(filepath.Join(newDir, "disk.qcow2")) }
	if _, err := copyDelta(context.Background(), sums, ref, e, hashed(other), filepath.Join(t.TempDir(), "a")); !errors.Is(err, errNoDelta) {
		t.Errorf("nothing in common: %v, want errNoDelta", err)
	}
	// The old file changes after it was hashed: no delta, and nothing left
	// behind for the whole copy.
	old := hashed(oldPath)
	old.wait()
	if err := os.WriteFile(oldPath, append(mustRead(t, oldPath), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(t.TempDir(), "c")
	if _, err := copyDelta(context.Background(), sums, ref, e, old, target); !errors.Is(err, errNoDelta) {
		t.Errorf("an old file changed since it was hashed: %v, want errNoDelta", err)
	}
	if _, err := os.Lstat(target); err == nil {
		t.Error("the abandoned delta copy was left behind")
	}
	// The new file changes after it was hashed: its fetched block is not
	// what the digests say.
	newSums, err := sums()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(newDir, "disk.qcow2"), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("changed"), 5*blocksum.Size); err != nil {
		t.Fatal(err)
	}
	f.Close()
	given := func() ([]blocksum.Sum, error) { return newSums, nil }
	_, err = copyDelta(context.Background(), given, ref, e, hashed(oldPath), filepath.Join(t.TempDir(), "b"))
	if err == nil || !strings.Contains(err.Error(), "did the file change") {
		t.Errorf("a fetched block that does not match its digest: %v, want an error", err)
	}
}

// newFileRef is the result holding newDir's disk.qcow2, and its entry.
func newFileRef(t *testing.T, newDir string) (*dirRef, *fstypes.Stat) {
	t.Helper()
	ref := &dirRef{root: newDir}
	e, err := ref.stat("disk.qcow2")
	if err != nil {
		t.Fatal(err)
	}
	e.Path = "disk.qcow2"
	return ref, e
}

// hashed is path as the output directory had it, hashed.
func hashed(path string) *oldFile {
	o := newOldFile(path)
	go o.hash()
	return o
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
