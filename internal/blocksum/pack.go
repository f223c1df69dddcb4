package blocksum

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
)

// PackCommand is the helper's subcommand that gathers runs of a file's
// bytes into one file inside the build sandbox, so that the blocks a delta
// copy lacks cross BuildKit's session in a few large reads instead of one
// read per run: osbuildkit blockpack FILE RUNS OUT.
const PackCommand = "blockpack"

// Run is a range of a file: Len bytes from Off.
type Run struct{ Off, Len int64 }

// runSize is a Run's encoding: two big-endian 64-bit numbers.
const runSize = 16

// EncodeRuns is runs as the bytes DecodeRuns reads.
func EncodeRuns(runs []Run) []byte {
	out := make([]byte, 0, len(runs)*runSize)
	for _, r := range runs {
		out = binary.BigEndian.AppendUint64(out, uint64(r.Off))
		out = binary.BigEndian.AppendUint64(out, uint64(r.Len))
	}
	return out
}

// DecodeRuns reads EncodeRuns's bytes.
func DecodeRuns(b []byte) ([]Run, error) {
	if len(b)%runSize != 0 {
		return nil, fmt.Errorf("%d bytes of runs, not a multiple of %d", len(b), runSize)
	}
	runs := make([]Run, len(b)/runSize)
	for i := range runs {
		off, n := binary.BigEndian.Uint64(b[i*runSize:]), binary.BigEndian.Uint64(b[i*runSize+8:])
		if off > 1<<62 || n > 1<<62 {
			return nil, fmt.Errorf("run %d is out of range", i)
		}
		runs[i] = Run{int64(off), int64(n)}
	}
	return runs, nil
}

// Pack writes the runs of the file at path to out, one after the other;
// a run past the file's end is an error.
func Pack(path string, runs []Run, out string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w, err := os.Create(out)
	if err != nil {
		return err
	}
	for _, r := range runs {
		n, err := io.Copy(w, io.NewSectionReader(f, r.Off, r.Len))
		if err == nil && n != r.Len {
			err = fmt.Errorf("%s has %d bytes at %d, not %d", path, n, r.Off, r.Len)
		}
		if err != nil {
			w.Close()
			return err
		}
	}
	return w.Close()
}
