package manifest

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/osbuildkit/osbuildkit/schemas"
)

// Every embedded schema compiles (they are compiled only when a manifest
// needs one, so a broken one would otherwise wait for its first user).
func TestEverySchemaCompiles(t *testing.T) {
	for _, f := range schemas.Files() {
		if s, err := schemaFor(f); err != nil || s == nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// A manifest compiles the schemas it needs, not all of them: a one-stage
// manifest leaves the other stages' schemas alone, and its problems are
// still found and suggested.
func TestSchemasCompiledAsNeeded(t *testing.T) {
	schemaMu.Lock()
	compiler, compiled, rawSchemas = nil, map[string]*jsonschema.Schema{}, map[string]any{}
	schemaMu.Unlock()
	_, err := Load("m.json", []byte(`{"version": "2", "pipelines": [{"name": "t", "stages": [{"type": "org.osbuild.mkdir", "options": {"pahts": [{"path": "/d"}]}}]}]}`))
	if err == nil || !strings.Contains(err.Error(), ".pipelines[0].stages[0].options.pahts") || !strings.Contains(err.Error(), "did you mean 'paths'") {
		t.Fatalf("error %v, want the unknown option named, with the allowed ones", err)
	}
	schemaMu.Lock()
	defer schemaMu.Unlock()
	if compiled["stages/org.osbuild.mkdir.json"] == nil {
		t.Errorf("the stage's schema was not compiled: %v", slices.Sorted(maps.Keys(compiled)))
	}
	if _, ok := compiled["stages/org.osbuild.apt.json"]; ok || len(compiled) > 3 {
		t.Errorf("compiled %v, more than the manifest needs", slices.Sorted(maps.Keys(compiled)))
	}
}
