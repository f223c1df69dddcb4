package assemblers

import (
	"github.com/osbuildkit/osbuildkit/manifest"
	"github.com/osbuildkit/osbuildkit/stages"
)

// The v1 org.osbuild.tar assembler: the tree archived into the output as
// filename, like the stage of the same name.
func init() {
	stages.Define(stages.Definition[stages.TarOptions]{Type: "org.osbuild.tar", Kind: manifest.KindAssembler, Plan: stages.PlanTar, Run: stages.RunTarAssembler})
}
