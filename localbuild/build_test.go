package localbuild

import (
	"context"
	"testing"

	bkllb "github.com/moby/buildkit/client/llb"
	digest "github.com/opencontainers/go-digest"
)

func TestDecideExports(t *testing.T) {
	for _, tc := range []struct {
		name                                          string
		rebuilt, haveOutput, outputCurrent, haveCache bool
		want                                          exportDecision
		cacheMissing                                  bool
	}{
		{"first build", true, true, false, true, exportDecision{outputs: true, cache: true}, false},
		{"rebuilt, output there", true, true, true, false, exportDecision{outputs: true}, false},
		{"all cached, output as left", false, true, true, false, exportDecision{upToDate: true}, false},
		{"all cached, output changed", false, true, false, false, exportDecision{outputs: true}, false},
		{"all cached from a registry", false, true, false, true, exportDecision{outputs: true, cacheKept: true}, false},
		{"all cached, nothing to send", false, true, true, true, exportDecision{cacheKept: true, upToDate: true}, false},
		{"no output directory", true, false, false, true, exportDecision{cache: true}, false},
		{"no output, all cached", false, false, false, false, exportDecision{}, false},
		{"all cached, a new cache reference", false, true, true, true, exportDecision{cache: true}, true},
		{"all cached, a new cache reference, output changed", false, true, false, true, exportDecision{outputs: true, cache: true}, true},
	} {
		if got := decideExports(tc.rebuilt, tc.haveOutput, tc.outputCurrent, tc.haveCache, tc.cacheMissing); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// Only exec ops count as rebuilt work: the set holds their digests.
func TestExecSetHoldsExecOps(t *testing.T) {
	st := bkllb.Image("docker.io/library/debian:bookworm").Run(bkllb.Args([]string{"true"})).Root().
		File(bkllb.Mkdir("/x", 0o755))
	def, err := st.Marshal(context.Background(), bkllb.LinuxAmd64)
	if err != nil {
		t.Fatal(err)
	}
	var s execSet
	s.add(def)
	execs := 0
	for _, b := range def.Def {
		if s.has(digest.FromBytes(b)) {
			execs++
		}
	}
	if execs != 1 || len(def.Def) < 3 {
		t.Errorf("%d of %d ops are in the exec set, want the one exec", execs, len(def.Def))
	}
}
