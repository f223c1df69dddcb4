package blocksum

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// Pack gathers the runs in their order; a run past the end fails.
func TestPack(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "f")
	if err := os.WriteFile(src, []byte("0123456789abcdef"), 0o644); err != nil {
		t.Fatal(err)
	}
	runs, err := DecodeRuns(EncodeRuns([]Run{{10, 3}, {0, 2}, {15, 1}}))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "packed")
	if err := Pack(src, runs, out); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, []byte("abc01f")) {
		t.Errorf("packed %q, want %q", got, "abc01f")
	}
	if err := Pack(src, []Run{{14, 4}}, out); err == nil {
		t.Error("a run past the end of the file was packed")
	}
	if _, err := DecodeRuns(make([]byte, 17)); err == nil {
		t.Error("17 bytes decoded as runs")
	}
}
