// Package llb compiles a loaded manifest into BuildKit LLB: each pipeline
// becomes an llb.State built from scratch, each stage a FileOp or an ExecOp
// of the in-sandbox helper, each source an HTTP or file source.
//
// BuildKit's own package is also called llb; here it is imported as bkllb.
// Compilation is deterministic: the same manifest marshals to the same
// digests (no map order reaches an op), and every op is named
// "[pipeline] stage.type" and carries the stage's location in the manifest.
package llb
