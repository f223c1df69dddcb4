// Package blocksum hashes a file in fixed-size blocks and plans a copy of
// a new version of it from an old one: the blocks the old file already has
// are copied locally, the rest fetched. It lets the CLI bring a rebuilt
// disk image out of BuildKit by fetching only what changed. A block is
// 4 KiB, the block of the filesystems we write: a qcow2 cluster (64 KiB)
// holds sixteen of them, and when a package is added the files after it
// move by whole filesystem blocks, so a cluster's content is found again
// only 4 KiB at a time; a block that moved within the file is found
// wherever it is.
package blocksum

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"

	"golang.org/x/sync/errgroup"
)

// Command is the helper's subcommand that writes a file's block digests
// inside the build sandbox: osbuildkit blocksums FILE OUT.
const Command = "blocksums"

// Size is a block: a filesystem block.
const Size = 4 << 10

// Sum is a block's SHA-256.
type Sum [sha256.Size]byte

// Blocks is how many blocks a file of size bytes has (the last one may be
// short).
func Blocks(size int64) int { return int((size + Size - 1) / Size) }

// Zero is the digest of a whole block of zeros, which a copy leaves as a
// hole.
var Zero = Sum(sha256.Sum256(make([]byte, Size)))

// File hashes the blocks of the file at path, on every CPU, with direct
// reads when the page cache does not hold it (openForHashing): the build
// sandbox's digests of an image just written.
func File(path string) ([]Sum, error) {
	f, direct, err := openForHashing(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return hash(f, direct, runtime.GOMAXPROCS(0))
}

// FileOn hashes the blocks of the file at path on at most cpus CPUs,
// through the page cache: the CLI's digests of the previous output, read
// while the build runs, which the copy after it then reads from the cache.
func FileOn(path string, cpus int) ([]Sum, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return hash(f, false, cpus)
}

// hash hashes f's blocks on at most cpus CPUs, at least four reads in
// flight when they are direct.
func hash(f *os.File, direct bool, cpus int) ([]Sum, error) {
	path := f.Name()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	sums := make([]Sum, Blocks(fi.Size()))
	// A goroutine hashes a stripe of 16 MiB, read 1 MiB at a time: one
	// read per block would be a system call per 4 KiB.
	const stripe, chunk = 4096, 256 // blocks
	var g errgroup.Group
	workers := max(cpus, 1)
	if direct {
		// Reads from the disk: a few in flight hide its latency.
		workers = max(workers, 4)
	}
	g.SetLimit(workers)
	for first := 0; first < len(sums); first += stripe {
		g.Go(func() error {
			buf := AlignedBuffer(chunk * Size)
			for at := first; at < min(first+stripe, len(sums)); at += chunk {
				n, err := f.ReadAt(buf, int64(at)*Size)
				if err != nil && !errors.Is(err, io.EOF) {
					return err
				}
				for i := at; i < min(at+chunk, len(sums)); i++ {
					off := (i - at) * Size
					if off >= n {
						return fmt.Errorf("%s became shorter while it was read", path)
					}
					sums[i] = sha256.Sum256(buf[off:min(off+Size, n)])
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("hashing %s: %w", path, err)
	}
	return sums, nil
}

// Encode is sums as the bytes WriteFile writes.
func Encode(sums []Sum) []byte {
	out := make([]byte, 0, len(sums)*sha256.Size)
	for _, s := range sums {
		out = append(out, s[:]...)
	}
	return out
}

// Decode reads Encode's bytes for a file of size bytes.
func Decode(b []byte, size int64) ([]Sum, error) {
	n := Blocks(size)
	if len(b) != n*sha256.Size {
		return nil, fmt.Errorf("%d bytes of block digests for %d blocks", len(b), n)
	}
	sums := make([]Sum, n)
	for i := range sums {
		copy(sums[i][:], b[i*sha256.Size:])
	}
	return sums, nil
}

// Plan says where each block of the new file comes from: Old[i] is the
// offset of a block of the old file with the same digest, or -1 where the
// block must be fetched.
type Plan struct {
	Old []int64
	// Reused counts the blocks found in the old file.
	Reused int
}

// Index finds the blocks of an old file by their digests. The CLI builds
// it while the build runs, so that planning a copy once the new file's
// digests arrive is comparisons and lookups only.
type Index struct {
	sums []Sum
	at   map[Sum]int64
}

// NewIndex indexes the old file's digests.
func NewIndex(oldSums []Sum) *Index {
	at := make(map[Sum]int64, len(oldSums))
	for i, s := range oldSums {
		if _, ok := at[s]; !ok {
			at[s] = int64(i) * Size
		}
	}
	return &Index{sums: oldSums, at: at}
}

// Sums are the old file's digests.
func (x *Index) Sums() []Sum { return x.sums }

// Plan matches the new file's blocks to the old file's: a block the old
// file has at the same offset comes from there (after a late change most
// do: a comparison, no lookup), any other from wherever the old file has it.
func (x *Index) Plan(newSums []Sum) Plan {
	p := Plan{Old: make([]int64, len(newSums))}
	for i, s := range newSums {
		off := int64(-1)
		if i < len(x.sums) && x.sums[i] == s {
			off = int64(i) * Size
		} else if o, ok := x.at[s]; ok {
			off = o
		}
		if off >= 0 {
			p.Reused++
		}
		p.Old[i] = off
	}
	return p
}
