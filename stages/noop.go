package stages

// org.osbuild.noop: the tree passes through unchanged; its options,
// whatever they are, still count towards the stage ID.
func init() {
	Define(Definition[NoopOptions]{Type: "org.osbuild.noop", Plan: PlanNoop})
}

// NoopOptions are any options at all.
type NoopOptions map[string]any

// PlanNoop leaves the tree as it is.
func PlanNoop(*Context, *NoopOptions) (*Plan, error) { return &Plan{}, nil }
