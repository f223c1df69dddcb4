// Package stages holds osbuildkit's stage implementations, one per file,
// each registered from init() with Define: its options type, how it is
// planned (a BuildKit-free Plan: file operations on the tree, or an exec of
// the in-sandbox helper) and what the helper runs (Run), which is
// unit-testable on a temporary directory. helper.go is the contract
// between an exec step and the helper; rules.go the warnings a build
// gives. Package llb turns Plans into LLB; the assemblers register with
// the same Define.
package stages
