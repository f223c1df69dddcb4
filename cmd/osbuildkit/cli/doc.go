// Package cli is the osbuildkit command line: flags, exit codes and
// printing for osbuild-compatible validation and inspection, builds
// (package localbuild), registry pushes (package artifact), the gateway
// frontend entry point and the in-sandbox stage helper.
package cli
