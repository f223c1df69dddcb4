package stages

import "github.com/osbuildkit/osbuildkit/manifest"

// noop is org.osbuild.noop: the tree passes through unchanged; its options
// still count towards the stage ID.
type noop struct{}

var _ Stage = noop{}

func init() {
	Register(manifest.KindStage, noop{})
	Register(manifest.KindAssembler, noop{})
}

func (noop) Type() string                        { return "org.osbuild.noop" }
func (noop) Plan(*manifest.Stage) (*Plan, error) { return &Plan{}, nil }
