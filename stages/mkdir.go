package stages

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// org.osbuild.mkdir: create directories. Paths are "/path", "tree:///path"
// or, as osbuild allows with a warning, relative to the tree's root; mode
// defaults to 0777 and, as in osbuild, the umask 022 applies. In the tree
// they are file operations, and an existing directory is not an error
// (exist_ok has no further effect; osbuild fails without it). Paths on the
// stage's mounts (mount://NAME/path) run in the buildroot with
// security.insecure, with osbuild's exist_ok and parents.
func init() {
	Define(Definition[mkdirOptions]{Type: "org.osbuild.mkdir", Plan: planMkdir, Run: runMkdir})
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
		at := manifest.Path{"paths", i, "path"}
		if strings.HasPrefix(e.Path, "mount://") {
			l, err := manifest.ParseLocation(e.Path)
			if err == nil {
				err = checkLocation(c.Stage, l)
			}
			if err != nil {
				return nil, c.OptionError(at, "%v", err)
			}
			return &Plan{Exec: &Exec{Root: RootBuildroot, Insecure: true}}, nil
		}
		path, err := c.TreePath(at, e.Path)
		if err != nil {
			return nil, err
		}
		p.Files = append(p.Files, FileAction{Mkdir: &Mkdir{Path: path, Mode: dirMode(e.Mode), Parents: e.Parents}})
	}
	return p, nil
}

func dirMode(mode *int) os.FileMode {
	m := 0o777
	if mode != nil {
		m = *mode
	}
	return os.FileMode(m) &^ 0o022
}

// runMkdir makes the directories when some are on mounts.
func runMkdir(rt *Runtime, o *mkdirOptions) error {
	detach, err := rt.Attach()
	if err != nil {
		return err
	}
	defer detach()
	for _, e := range o.Paths {
		url := e.Path
		if !strings.Contains(url, "://") {
			url = "tree:///" + strings.TrimLeft(url, "/")
		}
		p, err := rt.resolve(url)
		if err != nil {
			return err
		}
		if e.Parents {
			err = os.MkdirAll(p, dirMode(e.Mode))
		} else {
			err = os.Mkdir(p, dirMode(e.Mode))
		}
		if errors.Is(err, fs.ErrExist) && e.ExistOK {
			err = nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", e.Path, err)
		}
	}
	return nil
}
