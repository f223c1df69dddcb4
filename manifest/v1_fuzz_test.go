package manifest

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// v1Stages are the stage names the conversion fuzzer builds pipelines from.
var v1Stages = []string{"org.osbuild.noop", "org.osbuild.mkdir", "org.osbuild.hostname", "org.osbuild.debootstrap", "org.osbuild.debian.debootstrap", "org.osbuild.users", "org.osbuild.bogus"}

// fuzzV1 builds a version-1 manifest from the fuzzer's values: depth nested
// build pipelines, stages picked by the bytes of picks, each given the
// options text (JSON or not), and an assembler when asm is not empty.
func fuzzV1(depth uint8, picks []byte, options, runner, asm string) []byte {
	var pipeline func(level int) map[string]any
	pipeline = func(level int) map[string]any {
		var stages []any
		for i, b := range picks {
			if i%int(depth%4+1) != level {
				continue
			}
			st := map[string]any{"name": v1Stages[int(b)%len(v1Stages)]}
			var opts any
			if json.Unmarshal([]byte(options), &opts) == nil {
				st["options"] = opts
			}
			stages = append(stages, st)
		}
		p := map[string]any{"stages": stages}
		if level < int(depth%4) {
			p["build"] = map[string]any{"pipeline": pipeline(level + 1), "runner": runner}
		}
		return p
	}
	top := pipeline(0)
	if asm != "" {
		var opts any
		json.Unmarshal([]byte(options), &opts)
		top["assembler"] = map[string]any{"name": asm, "options": opts}
	}
	data, _ := json.Marshal(map[string]any{"pipeline": top})
	return data
}

// FuzzConvertV1: a version-1 manifest either fails validation or converts
// to pipelines named and linked the way osbuild converts them, and — without
// an assembler — its version-2 description loads back with the same IDs.
func FuzzConvertV1(f *testing.F) {
	f.Add(uint8(0), []byte{1}, `{"paths": [{"path": "/a"}]}`, "org.osbuild.linux", "")
	f.Add(uint8(1), []byte{3, 2}, `{"suite": "bookworm", "mirror": "http://deb.example/debian"}`, "org.osbuild.debian12", "")
	f.Add(uint8(2), []byte{0, 0, 2, 5}, `{"hostname": "h"}`, "org.osbuild.linux", "org.osbuild.tar")
	f.Add(uint8(1), []byte{4}, `{"filename": "x.tar"}`, "", "org.osbuild.noop")
	f.Fuzz(func(t *testing.T, depth uint8, picks []byte, options, runner, asm string) {
		if len(picks) > 64 {
			picks = picks[:64]
		}
		data := fuzzV1(depth, picks, options, runner, asm)
		m, err := Load("fuzz.json", data)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Load returned %T: %v", err, err)
			}
			return
		}
		checkV1Pipelines(t, m, int(depth%4)+1, asm, data)
		if asm == "" {
			checkRoundTrip(t, m, data)
		}
	})
}

// checkV1Pipelines checks the conversion's pipelines: "tree" built by
// "build", built by "build-build"…, each after its buildroot, then the
// assembler's, which is exported.
func checkV1Pipelines(t *testing.T, m *Manifest, levels int, asm string, data []byte) {
	t.Helper()
	want := levels
	if asm != "" {
		want++
	}
	if len(m.Pipelines) != want {
		t.Fatalf("%d pipelines from %d levels (assembler %q): %s", len(m.Pipelines), levels, asm, data)
	}
	names := map[string]int{}
	for i, pl := range m.Pipelines {
		names[pl.Name] = i
	}
	for i, pl := range m.Pipelines[:levels] {
		wantName := "tree"
		if level := levels - 1 - i; level > 0 {
			wantName = strings.Repeat("build-", level-1) + "build"
		}
		if pl.Name != wantName {
			t.Fatalf("pipeline %d is %q, want %q", i, pl.Name, wantName)
		}
		if pl.Build != "" && names[pl.Build] >= i {
			t.Fatalf("pipeline %q builds with %q, which does not come before it", pl.Name, pl.Build)
		}
	}
	if got := m.Exports; len(got) != 1 || got[0] != m.Pipelines[len(m.Pipelines)-1].Name {
		t.Fatalf("exports %v", got)
	}
}

// checkRoundTrip loads the version-2 description back: same stage IDs.
func checkRoundTrip(t *testing.T, m *Manifest, data []byte) {
	t.Helper()
	v2, err := json.Marshal(m.Describe())
	if err != nil {
		t.Fatal(err)
	}
	back, err := Load("described.json", v2)
	if err != nil {
		t.Fatalf("the description of %s does not load: %v\n%s", data, err, v2)
	}
	for i, pl := range m.Pipelines {
		for j, st := range pl.Stages {
			if got := back.Pipelines[i].Stages[j].ID; got != st.ID {
				t.Fatalf("%s stage %d: ID %s after the round trip, %s before", pl.Name, j, got, st.ID)
			}
		}
	}
}
