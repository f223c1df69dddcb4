package disk

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The balloon's features file has one character per bit; free page
// reporting is bit 5. The development machines' balloon reads as below.
func TestReportsFreePages(t *testing.T) {
	for _, tc := range []struct {
		features []string
		want     bool
	}{
		{nil, false},
		{[]string{"0110010100000000000000000000000010000000"}, true},
		{[]string{"0110000100000000000000000000000010000000"}, false},
		{[]string{"0110000100000000000000000000000010000000", "0000010000000000"}, true},
		{[]string{"0110"}, false},
	} {
		dir := t.TempDir()
		for i, f := range tc.features {
			dev := filepath.Join(dir, "virtio"+string(rune('0'+i)))
			if err := os.Mkdir(dev, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dev, "features"), []byte(f+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if got := reportsFreePages(dir); got != tc.want {
			t.Errorf("%q: %v, want %v", tc.features, got, tc.want)
		}
	}
}

// A conversion with direct I/O writes the bytes a buffered one writes.
func TestDirectConversionSameBytes(t *testing.T) {
	if _, err := exec.LookPath("qemu-img"); err != nil {
		t.Skip("qemu-img is not installed (make test installs it)")
	}
	dir := t.TempDir()
	if !directWrites(filepath.Join(dir, "probe")) {
		t.Skipf("%s does not take direct I/O", dir)
	}
	raw := filepath.Join(dir, "disk.raw")
	f, err := os.Create(raw)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	block := make([]byte, 64<<10)
	for _, at := range []int64{0, 3 << 20, 5<<20 + 4096, 40 << 20} {
		for i := range block {
			block[i] = byte(rng.Uint32())
		}
		if _, err := f.WriteAt(block, at); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Truncate(64 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	defer func(v func() bool) { hostTakesFreeMemory = v }(hostTakesFreeMemory)
	yes := true
	// Our writer (uncompressed) and qemu-img's (compressed).
	for _, f := range []Format{{Type: "qcow2"}, {Type: "qcow2", Compression: &yes}} {
		var out [2][]byte
		for i, direct := range []bool{false, true} {
			hostTakesFreeMemory = func() bool { return direct }
			src := filepath.Join(dir, "copy.raw")
			if b, err := exec.Command("cp", "--sparse=always", raw, src).CombinedOutput(); err != nil {
				t.Fatalf("cp: %v: %s", err, b)
			}
			var r testRunner
			dst := filepath.Join(dir, "disk.qcow2")
			if _, err := Convert(&r, src, dst, f); err != nil {
				t.Fatalf("%v: %s", err, r.log.String())
			}
			if got := strings.Contains(r.log.String(), "direct I/O"); got != direct {
				t.Fatalf("direct %v, but the log says: %s", direct, r.log.String())
			}
			if out[i], err = os.ReadFile(dst); err != nil {
				t.Fatal(err)
			}
			os.Remove(dst)
		}
		if !bytes.Equal(out[0], out[1]) {
			t.Errorf("%+v: the direct conversion (%d bytes) differs from the buffered one (%d bytes)", f, len(out[1]), len(out[0]))
		}
	}
}
