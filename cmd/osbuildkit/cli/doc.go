// Package cli implements the osbuildkit command line: osbuild-compatible
// validation and inspection, builds through BuildKit, registry pushes, the
// gateway frontend entry point and the in-sandbox stage helper.
package cli
