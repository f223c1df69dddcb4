package stages

import "github.com/osbuildkit/osbuildkit/manifest"

// org.osbuild.implantisomd5: implants the MD5 checksum of the ISO at
// filename in the tree into the ISO (implantisomd5, Debian's isomd5sum,
// added to the host buildroot), for the media check installers offer
// (checkisomd5). The ISO changes in place.
func init() {
	Define(Definition[implantisomd5Options]{Type: "org.osbuild.implantisomd5", Plan: planImplantisomd5, Run: runImplantisomd5})
}

type implantisomd5Options struct {
	Filename string `json:"filename"`
}

func planImplantisomd5(c *Context, o *implantisomd5Options) (*Plan, error) {
	if _, err := c.TreePath(manifest.Path{"filename"}, o.Filename); err != nil {
		return nil, err
	}
	plan := InBuildroot()
	plan.Exec.Tools = []string{"isomd5sum"}
	return plan, nil
}

func runImplantisomd5(rt *Runtime, o *implantisomd5Options) error {
	iso, err := rt.Path(o.Filename)
	if err != nil {
		return err
	}
	cmd := rt.Command("implantisomd5", iso)
	cmd.Dir = rt.Tree
	return rt.Exec(cmd)
}
