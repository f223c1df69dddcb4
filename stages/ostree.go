package stages

import (
	"os"
)

// org.osbuild.ostree as our users write it: prepare the
// tree for OSTree. It creates an empty OSTree repository (bare-user mode)
// at "repository" inside the tree and records "branch" as the ref the
// system follows (core.osbuildkit-branch in the repository's config, and
// /etc/ostree/branch), so a booted system can pull its updates there.
func init() {
	Define(Definition[ostreeOptions]{Type: "org.osbuild.ostree", Run: runOstree})
}

type ostreeOptions struct {
	Repository string `json:"repository"`
	Branch     string `json:"branch"`
}

func runOstree(rt *Runtime, o *ostreeOptions) error {
	repo, err := rt.Path(o.Repository)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(repo, 0o755); err != nil {
		return err
	}
	if err := rt.Run("ostree", "--repo="+repo, "init", "--mode=bare-user"); err != nil {
		return err
	}
	if err := rt.Run("ostree", "--repo="+repo, "config", "set", "core.osbuildkit-branch", o.Branch); err != nil {
		return err
	}
	return rt.WriteFile("/etc/ostree/branch", []byte(o.Branch+"\n"), 0o644)
}
