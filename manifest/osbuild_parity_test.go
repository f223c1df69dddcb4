package manifest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// verdict is osbuild's on one of its test manifests (testdata/osbuild).
type verdict struct {
	File   string              `json:"file"`
	Source string              `json:"source"`
	Valid  bool                `json:"valid"`
	IDs    map[string][]string `json:"ids"`
}

// Every manifest of osbuild's test data, cut down to the module types we
// ship, loads as osbuild loads it, with osbuild's stage IDs.
func TestOsbuildTestManifests(t *testing.T) {
	var verdicts []verdict
	readJSON(t, "testdata/osbuild/verdicts.json", &verdicts)
	if len(verdicts) < 200 {
		t.Fatalf("%d verdicts", len(verdicts))
	}
	for _, v := range verdicts {
		data, err := os.ReadFile(filepath.Join("testdata/osbuild/manifests", v.File))
		if err != nil {
			t.Fatal(err)
		}
		m, err := Load(v.File, data)
		if (err == nil) != v.Valid {
			t.Errorf("%s (osbuild's %s): osbuild's verdict is valid=%v, ours: %v", v.File, v.Source, v.Valid, err)
			continue
		}
		if err != nil {
			continue
		}
		for name, ids := range v.IDs {
			pl := m.Pipeline(name)
			if pl == nil {
				t.Errorf("%s: no pipeline %s", v.File, name)
				continue
			}
			var got []string
			for _, st := range pl.Stages {
				got = append(got, st.ID)
			}
			if !slices.Equal(got, ids) && !(len(got) == 0 && len(ids) == 0) {
				t.Errorf("%s: pipeline %s: stage IDs\n got %v\nwant %v", v.File, name, got, ids)
			}
		}
	}
}

// schemaCase is one stage description osbuild's schema tests validate.
type schemaCase struct {
	Stage       string         `json:"stage"`
	Test        string         `json:"test"`
	Description map[string]any `json:"description"`
	Valid       bool           `json:"valid"`
}

// Our schemas give osbuild's verdict on every stage description its own
// schema tests use.
func TestOsbuildSchemaCases(t *testing.T) {
	var cases []schemaCase
	readJSON(t, "testdata/osbuild/schema-cases.json", &cases)
	if len(cases) < 60 {
		t.Fatalf("%d cases", len(cases))
	}
	for _, c := range cases {
		p := &problems{file: &File{Name: "case.json"}}
		p.validateAgainst("stages/"+c.Stage+".json", c.Description, Path{})
		if valid := len(p.list) == 0; valid != c.Valid {
			var msgs []string
			for _, le := range p.list {
				msgs = append(msgs, le.Error())
			}
			t.Errorf("%s: osbuild's verdict is valid=%v, ours %v: %s", c.Test, c.Valid, valid, strings.Join(msgs, "; "))
		}
	}
}

// probe is a stage description of osbuild's test data with one option
// changed (a value of another type, removed, an unknown one added), and
// osbuild's verdict on it.
type probe struct {
	Stage       string         `json:"stage"`
	Mutation    string         `json:"mutation"`
	Description map[string]any `json:"description"`
	Valid       bool           `json:"valid"`
}

// Our schemas reject what osbuild's reject, and accept what they accept,
// option by option.
func TestOsbuildSchemaProbes(t *testing.T) {
	var probes []probe
	readJSON(t, "testdata/osbuild/schema-probes.json", &probes)
	rejected := 0
	for _, c := range probes {
		p := &problems{file: &File{Name: "probe.json"}}
		p.validateAgainst("stages/"+c.Stage+".json", c.Description, Path{})
		if valid := len(p.list) == 0; valid != c.Valid {
			t.Errorf("%s, %s: osbuild's verdict is valid=%v, ours %v", c.Stage, c.Mutation, c.Valid, valid)
		}
		if !c.Valid {
			rejected++
		}
	}
	if len(probes) < 1000 || rejected < 500 {
		t.Errorf("%d probes, %d rejected", len(probes), rejected)
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatal(err)
	}
}
