package stages

import (
	"os"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// org.osbuild.mkdir: create directories. Paths are "/path" or
// "tree:///path"; mode defaults to 0777 and, as in osbuild, the umask 022
// applies. With file operations an existing directory is not an error
// (exist_ok is accepted and has no further effect).
func init() {
	Define(Definition[mkdirOptions]{Type: "org.osbuild.mkdir", Plan: planMkdir})
}

type mkdirOptions struct {
	Paths []struct {
		Path    string `json:"path"`
		Mode    *int   `json:"mode"`
		Parents bool   `json:"parents"`
		ExistOK bool   `json:"exist_ok"`
	} `json:"paths"`
}

func planMkdir(c *Context, o *mkdirOptions) (*Plan, error) {
	p := &Plan{}
	for i, e := range o.Paths {
		path, err := manifest.TreePath(e.Path)
		if err != nil {
			return nil, c.OptionError(manifest.Path{"paths", i, "path"}, "%v", err)
		}
		mode := 0o777
		if e.Mode != nil {
			mode = *e.Mode
		}
		p.Files = append(p.Files, FileAction{Mkdir: &Mkdir{Path: path, Mode: os.FileMode(mode) &^ 0o022, Parents: e.Parents}})
	}
	return p, nil
}
