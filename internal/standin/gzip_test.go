package standin

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gzipInput is cpio-like data over several blocks, not a whole number of
// them: runs of text that repeat across block boundaries, and noise.
func gzipInput(size int) []byte {
	r := rand.New(rand.NewSource(1))
	var b bytes.Buffer
	words := strings.Fields("kernel/drivers/net/ethernet/intel/e1000e.ko usr/lib/x86_64-linux-gnu/libc.so.6 070701 TRAILER!!! scripts/init-top udev")
	for b.Len() < size {
		if r.Intn(8) == 0 {
			noise := make([]byte, r.Intn(4096))
			r.Read(noise)
			b.Write(noise)
		} else {
			b.WriteString(words[r.Intn(len(words))])
		}
	}
	return b.Bytes()[:size]
}

func TestParallelGzipIsGzipOfTheInput(t *testing.T) {
	in := gzipInput(3*gzipBlock + 12345)
	var out bytes.Buffer
	if err := parallelGzip(bytes.NewReader(in), &out, 6, 2); err != nil {
		t.Fatal(err)
	}
	// Go's reader and the host's gunzip, which also checks the CRC and
	// the size in the trailer, read back the input.
	zr, err := gzip.NewReader(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	zr.Multistream(false)
	back, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(back, in) {
		t.Fatalf("Go's gzip reader: %d bytes back of %d, err %v", len(back), len(in), err)
	}
	if rest, _ := io.ReadAll(zr); len(rest) != 0 {
		t.Errorf("%d bytes after the gzip member", len(rest))
	}
	cmd := exec.Command("gzip", "-dc")
	cmd.Stdin = bytes.NewReader(out.Bytes())
	if back, err := cmd.Output(); err != nil || !bytes.Equal(back, in) {
		t.Fatalf("gzip -dc: %d bytes back of %d, err %v", len(back), len(in), err)
	}
	// The header gzip -n writes for its standard input: no name, MTIME 0,
	// no extra flags at level 6, OS Unix.
	if h := out.Bytes()[:10]; !bytes.Equal(h, []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3}) {
		t.Errorf("header % x", h)
	}
	// It is compressed about as well as gzip -6 does it (within 5%).
	cmd = exec.Command("gzip", "-6", "-n", "-c")
	cmd.Stdin = bytes.NewReader(in)
	ref, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if out.Len() > len(ref)*105/100 {
		t.Errorf("%d bytes, gzip -6 makes %d", out.Len(), len(ref))
	}
}

// The bytes depend on the input and the level only: not on how many
// blocks are compressed at once.
func TestParallelGzipSameBytesWhateverTheCores(t *testing.T) {
	in := gzipInput(5*gzipBlock + 1)
	var first []byte
	for _, workers := range []int{1, 2, 3, 8} {
		var out bytes.Buffer
		if err := parallelGzip(bytes.NewReader(in), &out, 6, workers); err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = out.Bytes()
		} else if !bytes.Equal(out.Bytes(), first) {
			t.Errorf("%d workers made other bytes than 1", workers)
		}
	}
	var nine bytes.Buffer
	if err := parallelGzip(bytes.NewReader(in), &nine, 9, 2); err != nil {
		t.Fatal(err)
	}
	if nine.Bytes()[8] != 2 || bytes.Equal(nine.Bytes(), first) {
		t.Errorf("level 9: XFL %d, the same bytes as level 6: %v", nine.Bytes()[8], bytes.Equal(nine.Bytes(), first))
	}
}

func TestParallelGzipEmptyInput(t *testing.T) {
	var out bytes.Buffer
	if err := parallelGzip(strings.NewReader(""), &out, 6, 2); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("gzip", "-dc")
	cmd.Stdin = &out
	if back, err := cmd.Output(); err != nil || len(back) != 0 {
		t.Fatalf("gzip -dc: %q, %v", back, err)
	}
}

// Only mkinitramfs's forms are the stand-in's; the rest is the tree's gzip.
func TestGzipArguments(t *testing.T) {
	cases := map[string]string{
		"-c": "6 stdin", "-n -c": "6 stdin", "-c -9": "9 stdin", "-1 -n -c": "1 stdin", "--stdout --no-name": "6 stdin",
		"-n -c /var/tmp/mkinitramfs-MAIN_x": "6 /var/tmp/mkinitramfs-MAIN_x",
	}
	for _, theirs := range []string{"", "-n", "-d -c", "-c a b", "-k -c", "-c --best", "-n /tmp/f", "-c - ", "-c f -n"} {
		cases[theirs] = ""
	}
	for args, want := range cases {
		level, file, ok := gzipArgs(strings.Fields(args))
		got := ""
		if ok {
			got = fmt.Sprintf("%d %s", level, map[bool]string{true: "stdin", false: file}[file == ""])
		}
		if got != want {
			t.Errorf("gzip %s: %q, want %q", args, got, want)
		}
	}
}

// Through Run, as the stand-in script named gzip runs it; a failed read
// is the stand-in's failure, reported as gzip's.
func TestGzipStandInRun(t *testing.T) {
	in := gzipInput(gzipBlock + 7)
	var out, errOut bytes.Buffer
	if status := Run([]string{"/usr/bin/gzip", "-n", "-c"}, bytes.NewReader(in), &out, &errOut); status != 0 {
		t.Fatalf("status %d: %s", status, errOut.String())
	}
	zr, err := gzip.NewReader(&out)
	if err != nil {
		t.Fatal(err)
	}
	if back, err := io.ReadAll(zr); err != nil || !bytes.Equal(back, in) {
		t.Fatalf("%d bytes back of %d, err %v", len(back), len(in), err)
	}
	// mkinitramfs's way: a file, compressed as its content on a pipe is.
	file := filepath.Join(t.TempDir(), "mkinitramfs-MAIN_x")
	if err := os.WriteFile(file, in, 0o600); err != nil {
		t.Fatal(err)
	}
	var fromFile bytes.Buffer
	if status := Run([]string{"/usr/bin/gzip", "-n", "-c", file}, strings.NewReader("not this"), &fromFile, &errOut); status != 0 {
		t.Fatalf("status %d: %s", status, errOut.String())
	}
	var fromPipe bytes.Buffer
	Run([]string{"/usr/bin/gzip", "-c"}, bytes.NewReader(in), &fromPipe, &errOut)
	if !bytes.Equal(fromFile.Bytes(), fromPipe.Bytes()) {
		t.Errorf("gzip -n -c FILE and gzip -c <FILE differ")
	}
	failing := io.MultiReader(bytes.NewReader(in), errReader{})
	errOut.Reset()
	if status := Run([]string{"/usr/bin/gzip", "-c"}, failing, io.Discard, &errOut); status != 1 || !strings.Contains(errOut.String(), "gzip: the pipe broke") {
		t.Errorf("a failed read: status %d, %q", status, errOut.String())
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("the pipe broke") }
