package standin

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/klauspost/compress/flate"
)

// The gzip stand-in compresses the initramfs: mkinitramfs compresses its
// cpio archive (about 150 MB for a Debian kernel with MODULES=most) with
// `gzip -c` (`gzip -n -c` with SOURCE_DATE_EPOCH), which takes four to
// five seconds of one core on a 2-core builder: most of an initramfs that
// the in-process shell otherwise makes in two or three. mkinitramfs
// itself takes pigz instead when the tree has it; this is the same idea,
// natively: the input in blocks of gzipBlock bytes, each compressed on
// its own core with the 32 KiB before it as its dictionary, the blocks'
// deflate streams (ended by a sync flush, never final) joined in order,
// then one empty final block. The result is a gzip file that any gunzip
// reads as the same bytes; its compressed bytes depend only on the input
// and the level, never on the number of cores or the time (the header's
// MTIME is 0 and no name is stored, with or without -n: gzip without -n
// stores a file's name and time, here mkinitramfs's temporary file's).

// gzipBlock is the input each core compresses at a time.
const gzipBlock = 1 << 20

// nativeGzip is `gzip -c [FILE]` with -n and a level (-1 … -9) or not,
// to standard output, as mkinitramfs runs it (bookworm's on its temporary
// cpio file, older ones on a pipe); anything else (-d, -k, more files, …)
// is the tree's gzip's.
func nativeGzip(args []string, in io.Reader, out io.Writer) error {
	level, file, ok := gzipArgs(args)
	if !ok {
		return errNotMine
	}
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return errNotMine // the tree's gzip says why
		}
		defer f.Close()
		in = f
	}
	return parallelGzip(in, out, level, runtime.GOMAXPROCS(0))
}

// gzipArgs reads mkinitramfs's gzip arguments: -c (required), -n, a
// level, then at most one file (standard input without).
func gzipArgs(args []string) (level int, file string, ok bool) {
	level, toStdout := 6, false
	for i, a := range args {
		switch {
		case a == "-c" || a == "--stdout":
			toStdout = true
		case a == "-n" || a == "--no-name":
		case len(a) == 2 && a[0] == '-' && a[1] >= '1' && a[1] <= '9':
			level = int(a[1] - '0')
		case !strings.HasPrefix(a, "-") && i == len(args)-1:
			file = a
		default:
			return 0, "", false
		}
	}
	return level, file, toStdout
}

// gzipJob is one block in flight: its compressed bytes, or why not.
type gzipJob struct {
	b   []byte
	err error
}

// parallelGzip writes in, gzip-compressed at level, to out, with up to
// workers blocks compressed at once.
func parallelGzip(in io.Reader, out io.Writer, level, workers int) error {
	if err := writeGzipHeader(out, level); err != nil {
		return err
	}
	jobs := make(chan chan gzipJob, workers)
	written := make(chan error, 1)
	go func() { written <- writeBlocks(out, jobs) }()
	crc, size, readErr := readBlocks(in, level, jobs)
	close(jobs)
	if err := <-written; err != nil {
		return err
	}
	if readErr != nil {
		return readErr
	}
	end, err := compressBlock(nil, nil, level, true)
	if err != nil {
		return err
	}
	trailer := binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(end, crc), uint32(size))
	_, err = out.Write(trailer)
	return err
}

// readBlocks reads in, block by block, starting each block's compression
// as it is read (at most cap(jobs) waiting to be written), and returns
// the input's CRC-32 and size.
func readBlocks(in io.Reader, level int, jobs chan<- chan gzipJob) (uint32, int64, error) {
	var crc uint32
	var size int64
	var dict []byte
	for {
		block := make([]byte, gzipBlock)
		n, err := io.ReadFull(in, block)
		if n > 0 {
			block = block[:n]
			crc = crc32.Update(crc, crc32.IEEETable, block)
			size += int64(n)
			j := make(chan gzipJob, 1)
			jobs <- j
			go func(block, dict []byte) {
				b, err := compressBlock(block, dict, level, false)
				j <- gzipJob{b, err}
			}(block, dict)
			dict = block[max(0, n-32<<10):]
		}
		switch {
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			return crc, size, nil
		case err != nil:
			return 0, 0, err
		}
	}
}

// writeBlocks writes the blocks' compressed bytes in the order they were
// read.
func writeBlocks(out io.Writer, jobs <-chan chan gzipJob) error {
	var failed error
	for j := range jobs {
		done := <-j
		err := done.err
		if failed == nil && err == nil {
			_, err = out.Write(done.b)
		}
		if failed == nil {
			failed = err
		}
	}
	return failed
}

// compressBlock deflates block with dict before it: a sync-flushed,
// non-final stream, or, final, the stream's end.
func compressBlock(block, dict []byte, level int, final bool) ([]byte, error) {
	var b bytes.Buffer
	w, err := flate.NewWriterDict(&b, level, dict)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(block); err != nil {
		return nil, err
	}
	if final {
		err = w.Close()
	} else {
		err = w.Flush()
	}
	return b.Bytes(), err
}

// writeGzipHeader writes the 10-byte header gzip writes for its standard
// input with -n: no name, MTIME 0, XFL as gzip sets it for the level, OS
// Unix.
func writeGzipHeader(out io.Writer, level int) error {
	xfl := byte(0)
	switch level {
	case 9:
		xfl = 2
	case 1:
		xfl = 4
	}
	_, err := out.Write([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 3})
	return err
}
