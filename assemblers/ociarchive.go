package assemblers

import (
	"github.com/osbuildkit/osbuildkit/manifest"
	"github.com/osbuildkit/osbuildkit/stages"
)

// The v1 org.osbuild.oci-archive assembler: the tree as an OCI archive,
// like the stage, whose input here is the assembled tree.
func init() { stages.Define(stages.OCIArchive(manifest.KindAssembler, "tree")) }
