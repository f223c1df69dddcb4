package stages

import "github.com/osbuildkit/osbuildkit/manifest"

// org.osbuild.ln: create links. Symbolic links are file operations;
// hard links run ln(1) in the buildroot.
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
	for i, e := range o.Paths {
		link, err := manifest.TreePath(e.LinkName)
		if err != nil {
			return nil, c.OptionError(manifest.Path{"paths", i, "link_name"}, "%v", err)
		}
		if !e.Symbolic {
			if _, err := manifest.TreePath(e.Target); err != nil {
				return nil, c.OptionError(manifest.Path{"paths", i, "target"}, "a hard link's target must be in the tree: %v", err)
			}
			return InBuildroot(), nil
		}
		p.Files = append(p.Files, FileAction{Symlink: &Symlink{Target: e.Target, Path: link}})
	}
	return p, nil
}

func runLn(rt *Runtime, o *lnOptions) error {
	for _, e := range o.Paths {
		link, err := manifest.TreePath(e.LinkName)
		if err != nil {
			return err
		}
		linkPath, err := rt.Path(link)
		if err != nil {
			return err
		}
		if e.Symbolic {
			if err := rt.Run("ln", "-s", e.Target, linkPath); err != nil {
				return err
			}
			continue
		}
		target, _ := manifest.TreePath(e.Target)
		targetPath, err := rt.Path(target)
		if err != nil {
			return err
		}
		if err := rt.Run("ln", targetPath, linkPath); err != nil {
			return err
		}
	}
	return nil
}
