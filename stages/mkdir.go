package stages

import (
	"os"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// mkdir is org.osbuild.mkdir: create directories. Paths are "/path" or
// "tree:///path"; mode defaults to 0777 and, as in osbuild, the umask 022
// applies. With file operations an existing directory is not an error
// (exist_ok is accepted and has no further effect).
type mkdir struct{}

var _ Stage = mkdir{}

func init() { Register(manifest.KindStage, mkdir{}) }

func (mkdir) Type() string { return "org.osbuild.mkdir" }

type mkdirOptions struct {
	Paths []struct {
		Path    string `json:"path"`
		Mode    *int   `json:"mode"`
		Parents bool   `json:"parents"`
		ExistOK bool   `json:"exist_ok"`
	} `json:"paths"`
}

func (mkdir) Plan(st *manifest.Stage) (*Plan, error) {
	var o mkdirOptions
	if err := decode(st, &o); err != nil {
		return nil, err
	}
	p := &Plan{}
	for i, e := range o.Paths {
		path, err := manifest.TreePath(e.Path)
		if err != nil {
			return nil, optionError(st, manifest.Path{"paths", i, "path"}, "%v", err)
		}
		mode := 0o777
		if e.Mode != nil {
			mode = *e.Mode
		}
		p.Files = append(p.Files, FileAction{Mkdir: &Mkdir{Path: path, Mode: os.FileMode(mode) &^ 0o022, Parents: e.Parents}})
	}
	return p, nil
}
