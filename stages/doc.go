// Package stages holds osbuildkit's stage implementations, one per file,
// each registered from init(). A stage says how it runs — as file
// operations on the tree, or as an exec of the in-sandbox helper — in
// BuildKit-free terms (a Plan), and implements the helper side (Run), which
// is unit-testable on a temporary directory. Package llb turns Plans into
// LLB; assemblers register into the same registry.
package stages
