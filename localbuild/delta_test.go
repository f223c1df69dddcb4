package localbuild

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	gateway "github.com/moby/buildkit/frontend/gateway/client"
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
	oldPath, newDir = writeOldNew(t, old, nw)
	return oldPath, newDir, nw
}

// writeOldNew writes old as the output directory's file and nw as the
// build's disk.qcow2 in newDir.
func writeOldNew(t *testing.T, old, nw []byte) (oldPath, newDir string) {
	t.Helper()
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
	return oldPath, newDir
}

// The old file is patched where it is alone; where it has another name
// or another process has it open, it is copied and left as it was. Either
// way the result is the new file, with holes for its blocks of zeros.
func TestCopyDelta(t *testing.T) {
	for _, tc := range []struct {
		name    string
		inPlace bool
		// gather has the missing runs gathered by a step, however few.
		gather bool
		// hold keeps the old file in use the way it names, until undone.
		hold func(t *testing.T, oldPath string) (undo func())
	}{
		{name: "alone: patched in place", inPlace: true, hold: func(*testing.T, string) func() { return func() {} }},
		{name: "alone, runs gathered: patched in place", inPlace: true, gather: true, hold: func(*testing.T, string) func() { return func() {} }},
		{name: "open elsewhere: copied", hold: func(t *testing.T, p string) func() {
			f, err := os.Open(p) // as a VM booted from it holds it
			if err != nil {
				t.Fatal(err)
			}
			return func() { f.Close() }
		}},
		{name: "another name: copied", hold: func(t *testing.T, p string) func() {
			if err := os.Link(p, p+".backup"); err != nil {
				t.Fatal(err)
			}
			return func() {}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.gather {
				defer func(n int) { directRuns = n }(directRuns)
				directRuns = 0
			}
			oldPath, newDir, want := deltaFiles(t)
			before := mustRead(t, oldPath)
			oldIno := inode(t, oldPath)
			l := newLocal(t, newDir)
			target := filepath.Join(filepath.Dir(oldPath), "export", "disk.qcow2")
			if err := os.Mkdir(filepath.Dir(target), 0o755); err != nil {
				t.Fatal(err)
			}
			undo := tc.hold(t, oldPath)
			d, err := copyDelta(context.Background(), l.nf, l.e, hashed(oldPath), target)
			undo()
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(target)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("the delta copy differs from the new file (%d bytes, want %d; %v)", len(got), len(want), err)
			}
			// Fetched: the inserted block, the changed one, the short tail.
			if fetched := d.fetched; fetched != 2*blocksum.Size+4 {
				t.Errorf("fetched %d bytes, want two blocks and the tail (%d)", fetched, 2*blocksum.Size+4)
			}
			// Three runs: read from the new file one by one, or gathered
			// first and read in one go.
			gatheredReads := 0
			if l.reads != nil {
				gatheredReads = *l.reads
			}
			switch {
			case tc.gather && (l.runs != 3 || gatheredReads != 1 || l.direct.reads != 0):
				t.Errorf("%d runs gathered, read in %d reads (%d from the new file), want 3 runs in one read", l.runs, gatheredReads, l.direct.reads)
			case !tc.gather && (l.runs != 0 || l.direct.reads != 3):
				t.Errorf("%d runs gathered, %d reads of the new file; want none gathered and 3 reads", l.runs, l.direct.reads)
			}
			var st syscall.Stat_t
			if err := syscall.Stat(target, &st); err != nil {
				t.Fatal(err)
			}
			if allocated := st.Blocks * 512; allocated > int64(len(want))-2*blocksum.Size+4096 {
				t.Errorf("%d bytes allocated; the two blocks of zeros should be a hole", allocated)
			}
			if patched := st.Ino == oldIno; patched != tc.inPlace || d.patched != tc.inPlace {
				t.Errorf("the old file was patched in place: %v (said %v), want %v", patched, d.patched, tc.inPlace)
			}
			if tc.inPlace {
				if _, err := os.Lstat(oldPath); err == nil {
					t.Error("the patched file is still under its old name")
				}
			} else if !bytes.Equal(mustRead(t, oldPath), before) {
				t.Error("the old file changed, though it was in use")
			}
		})
	}
}

// A patch that would write more than inPlaceMax is a copy.
func TestCopyDeltaPatchesOnlySmallChanges(t *testing.T) {
	oldPath, newDir, want := deltaFiles(t)
	oldIno := inode(t, oldPath)
	defer func(n int64) { inPlaceMax = n }(inPlaceMax)
	inPlaceMax = 2 * blocksum.Size // the insertion moves 35 blocks
	target := filepath.Join(filepath.Dir(oldPath), "disk.qcow2.new")
	l := newLocal(t, newDir)
	if _, err := copyDelta(context.Background(), l.nf, l.e, hashed(oldPath), target); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mustRead(t, target), want) {
		t.Fatal("the delta copy differs from the new file")
	}
	if inode(t, target) == oldIno || inode(t, oldPath) != oldIno {
		t.Error("a change larger than inPlaceMax was patched in place")
	}
}

func inode(t *testing.T, p string) uint64 {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(p, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

// A file the old one shares nothing with is copied whole; a new file that
// is not what its digests say fails the copy.
func TestCopyDeltaRefuses(t *testing.T) {
	oldPath, newDir, _ := deltaFiles(t)
	l := newLocal(t, newDir)
	other := filepath.Join(t.TempDir(), "other")
	if err := os.WriteFile(other, bytes.Repeat([]byte{7}, 3*blocksum.Size), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := copyDelta(context.Background(), l.nf, l.e, hashed(other), filepath.Join(t.TempDir(), "a")); !errors.Is(err, errNoDelta) {
		t.Errorf("nothing in common: %v, want errNoDelta", err)
	}
	// Too many runs to fetch: copied whole, nothing left behind.
	defer func(n int) { maxRuns = n }(maxRuns)
	maxRuns = 2
	scattered := filepath.Join(t.TempDir(), "d")
	if _, err := copyDelta(context.Background(), l.nf, l.e, hashed(oldPath), scattered); !errors.Is(err, errNoDelta) {
		t.Errorf("three runs to fetch, two allowed: %v, want errNoDelta", err)
	}
	if _, err := os.Lstat(scattered); err == nil {
		t.Error("the abandoned delta copy was left behind")
	}
	maxRuns = 1 << 16
	// The old file changes after it was hashed: no delta, and nothing left
	// behind for the whole copy.
	old := hashed(oldPath)
	old.wait()
	if err := os.WriteFile(oldPath, append(mustRead(t, oldPath), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(t.TempDir(), "c")
	if _, err := copyDelta(context.Background(), l.nf, l.e, old, target); !errors.Is(err, errNoDelta) {
		t.Errorf("an old file changed since it was hashed: %v, want errNoDelta", err)
	}
	if _, err := os.Lstat(target); err == nil {
		t.Error("the abandoned delta copy was left behind")
	}
	// The new file changes after it was hashed: its fetched block is not
	// what the digests say.
	newSums, err := l.nf.sums()
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
	given := l.nf
	given.sums = func() ([]blocksum.Sum, error) { return newSums, nil }
	_, err = copyDelta(context.Background(), given, l.e, hashed(oldPath), filepath.Join(t.TempDir(), "b"))
	if err == nil || !strings.Contains(err.Error(), "did the file change") {
		t.Errorf("a fetched block that does not match its digest: %v, want an error", err)
	}
}

// local is newDir's disk.qcow2 as a delta copy reads it, by the helper's
// own code as the build's steps run it, and its entry; direct counts the
// reads of the file itself, runs and reads the runs the copy had gathered
// and the reads of the gathered file.
type local struct {
	nf     newFile
	e      *fstypes.Stat
	direct *dirRef
	runs   int
	reads  *int
}

func newLocal(t *testing.T, newDir string) *local {
	t.Helper()
	e, err := (&dirRef{root: newDir}).stat("disk.qcow2")
	if err != nil {
		t.Fatal(err)
	}
	e.Path = "disk.qcow2"
	l := &local{e: e, direct: &dirRef{root: newDir}}
	file := filepath.Join(newDir, "disk.qcow2")
	packDir := t.TempDir()
	l.nf = newFile{
		ref:  l.direct,
		name: "disk.qcow2",
		sums: func() ([]blocksum.Sum, error) { return blocksum.File(file) },
		packed: func(runs []blocksum.Run) (gateway.Reference, string, error) {
			l.runs = len(runs)
			ref := &dirRef{root: packDir}
			l.reads = &ref.reads
			return ref, "/packed", blocksum.Pack(file, runs, filepath.Join(packDir, "packed"))
		},
	}
	return l
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

// When a package is added, the filesystem's files after it move by whole
// filesystem blocks (4 KiB), so a qcow2's 64 KiB clusters hold other
// bytes than before; the delta still finds them, 4 KiB at a time.
func TestCopyDeltaFindsDataMovedByAFilesystemBlock(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	old := make([]byte, 4<<20)
	for i := range old {
		old[i] = byte(r.Uint32())
	}
	fresh := bytes.Repeat([]byte("a package"), 4096/9+1)[:4096]
	nw := append(append(bytes.Clone(old[:1<<20]), fresh...), old[1<<20:]...)
	oldPath, newDir := writeOldNew(t, old, nw)
	l := newLocal(t, newDir)
	target := filepath.Join(t.TempDir(), "disk.qcow2")
	d, err := copyDelta(context.Background(), l.nf, l.e, hashed(oldPath), target)
	if err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, target); !bytes.Equal(got, nw) {
		t.Fatal("the delta copy differs from the new file")
	}
	if fetched := d.fetched; fetched != 4096 {
		t.Errorf("fetched %d bytes of a file in which 4 KiB were inserted, want 4096", fetched)
	}
}

// The block digests are read in ranges, a whole number of digests each,
// however many there are.
func TestReadSumsInRanges(t *testing.T) {
	dir := t.TempDir()
	data := bytes.Repeat([]byte("0123456789abcdef"), 5*blocksum.Size/16+7)
	path := filepath.Join(dir, "f")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	want, err := blocksum.File(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sums"), blocksum.Encode(want), 0o644); err != nil {
		t.Fatal(err)
	}
	defer func(c int64) { sumsChunk = c }(sumsChunk)
	sumsChunk = 2 * sha256.Size
	ref := &dirRef{root: dir}
	got, err := readSums(context.Background(), ref, "/sums", int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) || got[len(got)-1] != want[len(want)-1] || got[0] != want[0] {
		t.Errorf("%d digests read back, want %d", len(got), len(want))
	}
	if ref.reads != 3 { // six digests, two at a time
		t.Errorf("%d reads, want 3", ref.reads)
	}
	if _, err := readSums(context.Background(), ref, "/sums", int64(len(data))+blocksum.Size); err == nil {
		t.Error("digests of a shorter file were taken")
	}
}
