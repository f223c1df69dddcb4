package disk

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"syscall"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sys/unix"

	"github.com/osbuildkit/osbuildkit/internal/blocksum"
)

// An uncompressed qcow2 image is written by the step itself, not by
// qemu-img: the step then knows every byte it writes and hashes the
// image's 4 KiB blocks as it goes (blocksum), so that the output copy
// needs no second step reading the 700 MB back to find what changed.
//
// The layout is the simplest one the format allows, in one pass: the
// header in cluster 0, then the raw image's clusters that hold anything
// but zeros, in their order, then the L2 tables, the L1 table, the
// refcount blocks and the refcount table; the header, written last, points
// at them. Every cluster has refcount 1 and its L2 entry the "copied"
// flag, as qemu-img leaves a converted image; clusters of zeros are left
// unallocated (they read as zeros: the image has no backing file).
// `qemu-img check` finds nothing to say and `qemu-img compare` finds the
// raw image's content (TestWriteQCOW2).

const (
	qcowClusterBits = 16
	qcowCluster     = 1 << qcowClusterBits
	// qcowCopied is an L1 or L2 entry's flag: the cluster's refcount is 1.
	qcowCopied = uint64(1) << 63
	// qcowRefcountBits is refcount_order 4's width: 16-bit refcounts.
	qcowRefcountBits = 16
	// qcowChunk is one write: a run of data clusters.
	qcowChunk = 64 * qcowCluster
)

// writeQCOW2 writes the raw image at raw to out as an uncompressed qcow2
// image of the compat level compat ("1.1", the default, or "0.10"), with
// direct I/O when direct is set, and returns out's block digests. out is
// created anew.
func writeQCOW2(raw, out, compat string, direct bool) ([]blocksum.Sum, error) {
	version := uint32(3)
	switch compat {
	case "", "1.1":
	case "0.10":
		version = 2
	default:
		return nil, fmt.Errorf("unknown qcow2 compat level %q (1.1 or 0.10)", compat)
	}
	in, err := os.Open(raw)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return nil, err
	}
	flags := os.O_CREATE | os.O_EXCL | os.O_WRONLY
	if direct {
		flags |= syscall.O_DIRECT
	}
	f, err := os.OpenFile(out, flags, 0o644)
	if err != nil {
		return nil, err
	}
	// A disk's size is whole sectors, as qemu-img takes a raw image's.
	w := &qcowWriter{f: f, virtual: roundUp(fi.Size(), 512), next: 1}
	w.g.SetLimit(runtime.GOMAXPROCS(0) + 2)
	err = w.data(in)
	if err == nil {
		err = w.metadata(version)
	}
	if werr := w.g.Wait(); err == nil {
		err = werr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	var sums []blocksum.Sum
	if err == nil {
		sums, err = w.sums()
	}
	if err != nil {
		os.Remove(out)
		return nil, fmt.Errorf("writing %s as qcow2: %w", raw, err)
	}
	return sums, nil
}

// qcowWriter writes an image's clusters in order: next is the next free
// cluster, l2 maps each guest cluster with data to its cluster in the
// file.
type qcowWriter struct {
	f       *os.File
	virtual int64
	next    int64
	l2      map[int64]int64
	// parts are the writes, each with its block digests once hashed.
	parts []*qcowPart
	g     errgroup.Group
	// free holds the buffers of finished writes of data.
	free chan []byte
}

// qcowPart is one write: at a cluster, the digests of its blocks.
type qcowPart struct {
	at   int64
	sums []blocksum.Sum
}

// data copies the raw image's clusters that hold anything but zeros,
// reading only where the raw image has data (SEEK_DATA), straight into
// the buffer of the next write; a cluster of zeros read there is written
// over by the clusters after it.
func (w *qcowWriter) data(in *os.File) error {
	w.l2 = map[int64]int64{}
	w.free = make(chan []byte, runtime.GOMAXPROCS(0)+3)
	for range cap(w.free) {
		w.free <- blocksum.AlignedBuffer(qcowChunk)
	}
	buf, n := <-w.free, 0 // n: clusters in buf
	for off := int64(0); off < w.virtual; {
		data, err := unix.Seek(int(in.Fd()), off, unix.SEEK_DATA)
		if errors.Is(err, syscall.ENXIO) {
			break // holes to the end
		} else if err != nil {
			return err
		}
		end, err := unix.Seek(int(in.Fd()), data, unix.SEEK_HOLE)
		if err != nil {
			return err
		}
		end = min(roundUp(end, qcowCluster), roundUp(w.virtual, qcowCluster))
		for at := data / qcowCluster * qcowCluster; at < end; {
			if n*qcowCluster == len(buf) {
				w.write(w.next-int64(n), buf, true)
				buf, n = <-w.free, 0
			}
			chunk := buf[n*qcowCluster : n*qcowCluster+int(min(int64(len(buf)-n*qcowCluster), end-at))]
			got, err := in.ReadAt(chunk, at)
			if err != nil && !errors.Is(err, io.EOF) {
				return err
			}
			clear(chunk[got:]) // past the end of a short last sector
			for c := 0; c < len(chunk); c += qcowCluster {
				cluster := chunk[c : c+qcowCluster]
				if bytes.Equal(cluster, zeroCluster) {
					continue
				}
				if dst := buf[n*qcowCluster:]; &dst[0] != &cluster[0] {
					copy(dst, cluster)
				}
				w.l2[(at+int64(c))/qcowCluster] = w.next
				w.next++
				n++
			}
			at += int64(len(chunk))
		}
		off = end
	}
	if n > 0 {
		w.write(w.next-int64(n), buf[:n*qcowCluster], true)
	}
	return nil
}

// write hashes and writes b at cluster at, beside the writes before it;
// a buffer of data goes back to free once written.
func (w *qcowWriter) write(at int64, b []byte, data bool) {
	p := &qcowPart{at: at}
	w.parts = append(w.parts, p)
	w.g.Go(func() error {
		p.sums = make([]blocksum.Sum, len(b)/blocksum.Size)
		for j := range p.sums {
			p.sums[j] = sha256.Sum256(b[j*blocksum.Size : (j+1)*blocksum.Size])
		}
		_, err := w.f.WriteAt(b, at*qcowCluster)
		if data {
			w.free <- b[:cap(b)]
		}
		return err
	})
}

// sums are the digests of the file's blocks, in order: the parts cover
// every cluster once.
func (w *qcowWriter) sums() ([]blocksum.Sum, error) {
	slices.SortFunc(w.parts, func(a, b *qcowPart) int { return cmp.Compare(a.at, b.at) })
	var sums []blocksum.Sum
	for _, p := range w.parts {
		if int64(len(sums)) != p.at*qcowCluster/blocksum.Size {
			return nil, fmt.Errorf("internal error: the qcow2 writes leave a gap at cluster %d", p.at)
		}
		sums = append(sums, p.sums...)
	}
	if int64(len(sums)) != w.next*qcowCluster/blocksum.Size {
		return nil, fmt.Errorf("internal error: the qcow2 writes end at block %d of %d", len(sums), w.next*qcowCluster/blocksum.Size)
	}
	return sums, nil
}

// metadata writes the L2 tables, the L1 table, the refcounts and, at
// cluster 0, the header.
func (w *qcowWriter) metadata(version uint32) error {
	entriesPerL2 := int64(qcowCluster / 8)
	l1Size := (w.virtual + entriesPerL2*qcowCluster - 1) / (entriesPerL2 * qcowCluster)
	l1 := blocksum.AlignedBuffer(int(roundUp(l1Size*8, qcowCluster)))
	for t := int64(0); t < l1Size; t++ {
		table, used := blocksum.AlignedBuffer(qcowCluster), false
		for e := int64(0); e < entriesPerL2; e++ {
			if host, ok := w.l2[t*entriesPerL2+e]; ok {
				binary.BigEndian.PutUint64(table[e*8:], uint64(host*qcowCluster)|qcowCopied)
				used = true
			}
		}
		if used {
			binary.BigEndian.PutUint64(l1[t*8:], uint64(w.next*qcowCluster)|qcowCopied)
			w.write(w.next, table, false)
			w.next++
		}
	}
	l1At := w.next
	w.write(l1At, l1, false)
	w.next += int64(len(l1)) / qcowCluster

	// The refcount blocks and table count themselves: grow them until
	// they cover every cluster, their own included.
	perBlock := int64(qcowCluster * 8 / qcowRefcountBits)
	blocks, tableClusters := int64(1), int64(1)
	for {
		total := w.next + blocks + tableClusters
		b := (total + perBlock - 1) / perBlock
		tc := max(1, roundUp(b*8, qcowCluster)/qcowCluster)
		if b == blocks && tc == tableClusters {
			break
		}
		blocks, tableClusters = b, tc
	}
	total := w.next + blocks + tableClusters
	refs := blocksum.AlignedBuffer(int(blocks * qcowCluster))
	for c := int64(0); c < total; c++ {
		binary.BigEndian.PutUint16(refs[c*2:], 1)
	}
	blocksAt := w.next
	w.write(blocksAt, refs, false)
	table := blocksum.AlignedBuffer(int(tableClusters * qcowCluster))
	for b := int64(0); b < blocks; b++ {
		binary.BigEndian.PutUint64(table[b*8:], uint64((blocksAt+b)*qcowCluster))
	}
	tableAt := blocksAt + blocks
	w.write(tableAt, table, false)
	w.next = total

	header := blocksum.AlignedBuffer(qcowCluster)
	h := header
	copy(h, "QFI\xfb")
	binary.BigEndian.PutUint32(h[4:], version)
	binary.BigEndian.PutUint32(h[20:], qcowClusterBits)
	binary.BigEndian.PutUint64(h[24:], uint64(w.virtual))
	binary.BigEndian.PutUint32(h[36:], uint32(l1Size))
	binary.BigEndian.PutUint64(h[40:], uint64(l1At*qcowCluster))
	binary.BigEndian.PutUint64(h[48:], uint64(tableAt*qcowCluster))
	binary.BigEndian.PutUint32(h[56:], uint32(tableClusters))
	if version == 3 {
		binary.BigEndian.PutUint32(h[96:], 4)    // refcount_order
		binary.BigEndian.PutUint32(h[100:], 104) // header_length; no extensions follow
	}
	w.write(0, header, false)
	return nil
}

// zeroCluster is a cluster of zeros, which is left unallocated.
var zeroCluster = make([]byte, qcowCluster)

func roundUp(n, to int64) int64 { return (n + to - 1) / to * to }
