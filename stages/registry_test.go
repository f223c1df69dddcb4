package stages_test

import (
	"slices"
	"testing"

	_ "github.com/osbuildkit/osbuildkit/assemblers"
	"github.com/osbuildkit/osbuildkit/manifest"
	"github.com/osbuildkit/osbuildkit/schemas"
	"github.com/osbuildkit/osbuildkit/stages"
)

func TestRegistryMatchesSchemas(t *testing.T) {
	for kind, dir := range map[manifest.Kind]schemas.Kind{manifest.KindStage: schemas.Stage, manifest.KindAssembler: schemas.Assembler} {
		registered := stages.Registered(kind)
		withSchema := schemas.Names(dir)
		for _, name := range registered {
			if !slices.Contains(withSchema, name) {
				t.Errorf("%s %s is registered but has no schema in schemas/%s", kind, name, dir)
			}
		}
		for _, name := range withSchema {
			if !slices.Contains(registered, name) {
				t.Errorf("%s %s has a schema but no implementation", kind, name)
			}
		}
	}
}

func TestRegisterPanicsOnDuplicates(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("registering org.osbuild.noop twice did not panic")
		}
	}()
	stages.Define(stages.Definition[stages.NoopOptions]{Type: "org.osbuild.noop", Plan: stages.PlanNoop})
}
