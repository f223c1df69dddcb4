package stages

import (
	"strings"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// org.osbuild.ln: create links at link_name (tree:///path, or on the
// stage's mounts, mount://NAME/path). Symbolic links in the tree are file
// operations; hard links run ln(1) in the buildroot, and links on mounts
// with security.insecure. A hard link's target is a path in the tree
// (osbuild takes it in its own sandbox, where a tree path does not exist).
func init() {
	Define(Definition[lnOptions]{Type: "org.osbuild.ln", Plan: planLn, Run: runLn})
}

type lnOptions struct {
	Paths []struct {
		Target   string `json:"target"`
		LinkName string `json:"link_name"`
		Symbolic bool   `json:"symbolic"`
	} `json:"paths"`
}

func planLn(c *Context, o *lnOptions) (*Plan, error) {
	p := &Plan{}
	exec := InBuildroot()
	for i, e := range o.Paths {
		at := manifest.Path{"paths", i, "link_name"}
		l, err := manifest.ParseLocation(e.LinkName)
		if err == nil {
			err = checkLocation(c.Stage, l)
		}
		if err != nil {
			return nil, c.OptionError(at, "%v", err)
		}
		if !e.Symbolic {
			if _, err := c.TreePath(manifest.Path{"paths", i, "target"}, e.Target); err != nil {
				return nil, err
			}
		}
		switch {
		case l.Scheme == "mount":
			exec.Exec.Insecure = true
			p = nil
		case !e.Symbolic:
			p = nil
		case p != nil:
			p.Files = append(p.Files, FileAction{Symlink: &Symlink{Target: e.Target, Path: l.Path}})
		}
	}
	if p == nil {
		return exec, nil
	}
	return p, nil
}

func runLn(rt *Runtime, o *lnOptions) error {
	if len(rt.Mounts) > 0 {
		detach, err := rt.Attach()
		if err != nil {
			return err
		}
		defer detach()
	}
	for _, e := range o.Paths {
		link, err := rt.resolve(strings.TrimSuffix(e.LinkName, "/"))
		if err != nil {
			return err
		}
		if e.Symbolic {
			if err := rt.Run("ln", "-s", e.Target, link); err != nil {
				return err
			}
			continue
		}
		target, _ := manifest.TreePath(e.Target)
		targetPath, err := rt.Path(target)
		if err != nil {
			return err
		}
		if err := rt.Run("ln", targetPath, link); err != nil {
			return err
		}
	}
	return nil
}
