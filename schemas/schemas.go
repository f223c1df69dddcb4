package schemas

import (
	"embed"
	"io/fs"
	"path"
	"sort"
	"strings"
)

//go:embed osbuild-modules.txt
var osbuildModules string

//go:embed *.json stages/*.json assemblers/*.json inputs/*.json devices/*.json mounts/*.json sources/*.json
var files embed.FS

// Kind is the kind of module a schema describes; it is also the directory
// the schema lives in.
type Kind string

// The module kinds, named like osbuild's.
const (
	Stage     Kind = "stages"
	Assembler Kind = "assemblers"
	Input     Kind = "inputs"
	Device    Kind = "devices"
	Mount     Kind = "mounts"
	Source    Kind = "sources"
)

// Kinds lists every module kind.
var Kinds = []Kind{Stage, Assembler, Input, Device, Mount, Source}

// BaseURL prefixes every schema's $id; references between schemas resolve
// against it.
const BaseURL = "https://osbuildkit.dev/schemas/"

// FS returns the embedded schema files.
func FS() fs.FS { return files }

// Module returns the schema of the named module, or false when there is none.
func Module(kind Kind, name string) ([]byte, bool) {
	b, err := files.ReadFile(path.Join(string(kind), name+".json"))
	return b, err == nil
}

// Names lists the modules of a kind that have a schema, sorted.
func Names(kind Kind) []string {
	entries, err := files.ReadDir(string(kind))
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".json"); ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// Files lists every embedded schema file path, sorted.
func Files() []string {
	var out []string
	_ = fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json") {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out
}

// InOsbuild reports whether osbuild (at the pinned commit) has the module:
// a type osbuildkit lacks can then be named as one it does not implement.
func InOsbuild(kind Kind, name string) bool {
	return strings.Contains(osbuildModules, "\n"+string(kind)+" "+name+"\n")
}
