// Package schemas embeds the JSON Schemas osbuildkit validates manifests
// against: the manifest formats (v1, v2 and the dialect with stages keyed by
// "name"), one schema per stage, assembler, input, device, mount and source,
// and the shared definitions they reference. It holds data only.
package schemas
