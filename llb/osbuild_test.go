package llb

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// osbuild's own test manifests (manifest/testdata/osbuild, cut down to the
// module types we ship) are planned as well as loaded: no stage's own
// checks refuse what osbuild builds, but for the reasons listed here.
func TestOsbuildTestManifestsPlan(t *testing.T) {
	var verdicts []struct {
		File  string `json:"file"`
		Valid bool   `json:"valid"`
	}
	data, err := os.ReadFile("../manifest/testdata/osbuild/verdicts.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &verdicts); err != nil {
		t.Fatal(err)
	}
	planned := 0
	for _, v := range verdicts {
		path := filepath.Join("../manifest/testdata/osbuild/manifests", v.File)
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		m, err := manifest.Load(v.File, raw)
		if err != nil || len(m.Pipelines) == 0 {
			continue // TestOsbuildTestManifests compares the verdicts
		}
		if _, err := Compile(context.Background(), m, Options{Helper: testHelper(), Exports: m.Names()}); err != nil {
			t.Errorf("%s: %v", v.File, err)
			continue
		}
		planned++
	}
	if planned < 150 {
		t.Errorf("planned %d manifests", planned)
	}
}
