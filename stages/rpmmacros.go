package stages

import (
	"encoding/json"
	"strings"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// org.osbuild.rpm.macros: an RPM macro file at filename in the tree
// ("%NAME VALUE" per macro, in the manifest's order; _install_langs'
// list joined with ":"), for rpm run later in the tree. File operations
// only.
func init() {
	Define(Definition[rpmMacrosOptions]{Type: "org.osbuild.rpm.macros", Plan: planRPMMacros})
}

type rpmMacrosOptions struct {
	Filename string          `json:"filename"`
	Macros   json.RawMessage `json:"macros"`
}

func planRPMMacros(c *Context, o *rpmMacrosOptions) (*Plan, error) {
	path, err := c.TreePath(manifest.Path{"filename"}, o.Filename)
	if err != nil {
		return nil, err
	}
	macros, err := orderedObject(c.written(manifest.Path{"macros"}, o.Macros))
	if err != nil {
		return nil, c.OptionError(manifest.Path{"macros"}, "%v", err)
	}
	var b strings.Builder
	for _, m := range macros {
		v := pyStr(m.Value)
		if m.Key == "_install_langs" {
			var langs []string
			if err := json.Unmarshal(m.Value, &langs); err != nil {
				return nil, c.OptionError(manifest.Path{"macros", m.Key}, "%v", err)
			}
			v = strings.Join(langs, ":")
		}
		b.WriteString("%" + m.Key + " " + v + "\n")
	}
	return &Plan{Files: WriteFile(path, 0o644, []byte(b.String()))}, nil
}
