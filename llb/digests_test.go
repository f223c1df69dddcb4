package llb

import (
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	bkllb "github.com/moby/buildkit/client/llb"
)

var update = flag.Bool("update", false, "rewrite testdata/digests.golden from the current compiler")

// The LLB of every example, all pipelines exported, is what the golden file
// recorded: an op's bytes are its cache key, so a change here re-runs
// users' builds and must be deliberate (go test ./llb -run Digests -update,
// and say why in the commit).
func TestLLBDigestsAreUnchanged(t *testing.T) {
	var lines []string
	for f, m := range loadedExamples(t) {
		res, err := Compile(context.Background(), m, Options{Helper: testHelper(), Exports: m.Names(), Layout: ByName})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		def, err := res.Output.Marshal(context.Background(), bkllb.LinuxAmd64)
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.New()
		for _, op := range def.Def {
			h.Write(op)
		}
		lines = append(lines, fmt.Sprintf("%s %x %d", filepath.ToSlash(strings.TrimPrefix(f, "../")), h.Sum(nil), len(def.Def)))
	}
	sort.Strings(lines)
	got := strings.Join(lines, "\n") + "\n"
	golden := "testdata/digests.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("LLB differs from %s (-want +got):\n%s", golden, diff)
	}
}
