package manifest

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

func describeJSON(t *testing.T, m *Manifest) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m.Describe()); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestInspectGolden(t *testing.T) {
	inputs, _ := filepath.Glob("../images/user-*.json")
	docs, _ := filepath.Glob("testdata/osbuild-docs/doc-*.json")
	inputs = append(inputs, docs...)
	if len(inputs) < 10 {
		t.Fatalf("found only %d inputs", len(inputs))
	}
	for _, in := range inputs {
		got := describeJSON(t, mustLoad(t, in))
		golden := filepath.Join("testdata/golden", strings.TrimSuffix(filepath.Base(in), ".json")+".inspect.json")
		if *update {
			if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test ./manifest -update)", err)
		}
		if diff := cmp.Diff(string(got), string(want)); diff != "" {
			t.Errorf("%s: inspect output differs (-got +want):\n%s", in, diff)
		}
	}
}

// osbuild's documentation shows doc-2.json as the --inspect output of
// doc-1.json.
func TestInspectMatchesOsbuild(t *testing.T) {
	var got, want any
	if err := json.Unmarshal(describeJSON(t, mustLoad(t, "testdata/osbuild-docs/doc-1.json")), &got); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile("testdata/osbuild-docs/doc-2.json")
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("inspect output differs from osbuild's (-got +want):\n%s", diff)
	}
}

// The inspect output is itself a manifest with the same IDs.
func TestInspectReloads(t *testing.T) {
	inputs, _ := filepath.Glob("testdata/osbuild-docs/doc-*.json")
	for _, in := range inputs {
		m := mustLoad(t, in)
		again, err := Load("inspect.json", describeJSON(t, m))
		if err != nil {
			t.Errorf("%s: inspect output does not load: %v", in, err)
			continue
		}
		for i, pl := range m.Pipelines {
			if again.Pipelines[i].ID != pl.ID {
				t.Errorf("%s: pipeline %s ID changed on reload", in, pl.Name)
			}
		}
	}
}

// A 10 MB manifest loads; the benchmark script reports how fast.
func TestHugeManifest(t *testing.T) {
	data := hugeManifest(10 << 20)
	start := time.Now()
	m, err := Load("huge.json", data)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d bytes, %d stages in %v", len(data), len(m.Pipelines[0].Stages), time.Since(start))
	// One broken stage at the very end is found and located.
	broken := bytes.Replace(data, []byte(`"/d99999"`), []byte(`99999`), 1)
	_, err = Load("huge.json", broken)
	if err == nil || !strings.Contains(err.Error(), "99999 is not valid under any of the given schemas") {
		t.Fatalf("broken huge manifest: %v", err)
	}
}

func hugeManifest(size int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"version": "2", "pipelines": [{"name": "tree", "stages": [`)
	for i := 0; b.Len() < size; i++ {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, `{"type": "org.osbuild.mkdir", "options": {"paths": [{"path": "/d%d", "mode": 493, "parents": true}, {"path": "/e%d"}]}}`, i, i)
	}
	b.WriteString(`, {"type": "org.osbuild.mkdir", "options": {"paths": [{"path": "/d99999"}]}}]}]}`)
	return b.Bytes()
}

func BenchmarkLoadHuge(b *testing.B) {
	data := hugeManifest(10 << 20)
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		if _, err := Load("huge.json", data); err != nil {
			b.Fatal(err)
		}
	}
}
