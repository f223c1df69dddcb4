// Package manifest loads osbuild manifests — version 2, version 1 and the
// dialect with stages keyed by "name" and a top-level "assembler" — into one
// typed version-2 model, validates them against the embedded JSON Schemas,
// resolves the pipeline DAG and computes osbuild-compatible stage IDs.
//
// It never imports BuildKit: validation, --inspect and editor tooling work
// without a daemon. Every problem is reported with its JSON path in the file
// the user wrote (".pipelines[0].stages[2].options.size") and its line and
// column, in osbuild's format.
package manifest
