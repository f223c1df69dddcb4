package assemblers

import (
	"github.com/osbuildkit/osbuildkit/manifest"
	"github.com/osbuildkit/osbuildkit/stages"
)

// tarAssembler is the v1 org.osbuild.tar assembler: the tree archived into
// the output as filename, like the stage of the same name.
type tarAssembler struct{ stages.Tar }

var _ stages.Runner = tarAssembler{}

func init() { stages.Register(manifest.KindAssembler, tarAssembler{}) }
