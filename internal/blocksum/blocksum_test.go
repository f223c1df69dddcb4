package blocksum

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"
)

// File hashes every block, the short last one as it is, across stripes.
func TestFile(t *testing.T) {
	const blocks = 2*4096 + 300 // more than two stripes, a part chunk
	data := make([]byte, blocks*Size+10)
	for i := range data {
		data[i] = byte(i/Size) ^ byte(i/Size>>8)
	}
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	sums, err := File(path)
	if err != nil {
		t.Fatal(err)
	}
	checkSums(t, sums, data)
	back, err := Decode(Encode(sums), int64(len(data)))
	if err != nil || len(back) != len(sums) || back[blocks] != sums[blocks] {
		t.Errorf("Decode(Encode): %d digests, %v", len(back), err)
	}
	if _, err := Decode(Encode(sums), int64(len(data))+Size); err == nil {
		t.Error("Decode took digests for another size")
	}
}

// A block found anywhere in the old file is reused, at its old offset.
func TestPlan(t *testing.T) {
	a, b, c := Sum{1}, Sum{2}, Sum{3}
	p := NewIndex([]Sum{a, b}).Plan([]Sum{c, a, b})
	if p.Reused != 2 || p.Old[0] != -1 || p.Old[1] != 0 || p.Old[2] != Size {
		t.Errorf("plan %+v", p)
	}
}

// A block the old file has at its own offset comes from there, even where
// the same bytes are earlier in the old file too (as zeros and repeated
// blocks are): a patch in place then leaves it alone.
func TestPlanPrefersTheSameOffset(t *testing.T) {
	a, b := Sum{1}, Sum{2}
	p := NewIndex([]Sum{a, b, a}).Plan([]Sum{b, b, a, a})
	want := []int64{Size, Size, 2 * Size, 0}
	for i, w := range want {
		if p.Old[i] != w {
			t.Errorf("block %d from %d, want %d (plan %+v)", i, p.Old[i], w, p.Old)
		}
	}
	if p.Reused != 4 {
		t.Errorf("reused %d, want 4", p.Reused)
	}
}

// checkSums fails t unless sums are the digests of data's blocks.
func checkSums(t *testing.T, sums []Sum, data []byte) {
	t.Helper()
	if len(sums) != Blocks(int64(len(data))) {
		t.Fatalf("%d digests, want %d", len(sums), Blocks(int64(len(data))))
	}
	for i, s := range sums {
		if want := Sum(sha256.Sum256(data[i*Size : min((i+1)*Size, len(data))])); s != want {
			t.Fatalf("block %d: wrong digest", i)
		}
	}
}
