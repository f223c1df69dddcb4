package assemblers

import (
	"github.com/osbuildkit/osbuildkit/manifest"
	"github.com/osbuildkit/osbuildkit/stages"
)

// The v1 org.osbuild.noop assembler: the tree is the output, unchanged.
func init() {
	stages.Define(stages.Definition[stages.NoopOptions]{Type: "org.osbuild.noop", Kind: manifest.KindAssembler, Plan: stages.PlanNoop})
}
