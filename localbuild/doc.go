// Package localbuild builds a manifest in this process against a BuildKit
// daemon, as `osbuildkit build` does: the frontend's code runs here (no
// frontend image), this executable is the stage helper, and the result is
// exported into DIR/PIPELINE the way osbuild's --output-directory is:
// atomically, merged into what is there, and only when something changed.
package localbuild
