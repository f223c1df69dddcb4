package stages

import (
	"encoding/json"
	"os"
)

// org.osbuild.ostree has two forms, told apart by their options. Our
// users' form ("repository" and "branch") prepares the tree for OSTree: an
// empty OSTree repository (bare-user mode) at "repository" in the tree,
// following "branch" (core.osbuildkit-branch in its config, and
// /etc/ostree/branch), so a booted system can pull its updates there.
// osbuild's form ("osname", "ref", …) is its deprecated deploy stage
// (ostreeadmin.go): it deploys the commit of an org.osbuild.ostree input.
func init() {
	Define(Definition[ostreeOptions]{Type: "org.osbuild.ostree", Plan: planOstree, Run: runOstree})
}

type ostreeOptions struct {
	// Our users' form.
	Repository string `json:"repository"`
	Branch     string `json:"branch"`
	// osbuild's deploy form.
	OSName      string            `json:"osname"`
	Ref         string            `json:"ref"`
	Rootfs      *grubFS           `json:"rootfs"`
	KernelOpts  []string          `json:"kernel_opts"`
	Mounts      []json.RawMessage `json:"mounts"`
	Remotes     []json.RawMessage `json:"remotes"`
	PopulateVar bool              `json:"populate_var"`
}

// UnmarshalJSON ignores keys osbuild's schema lets through unchecked (its
// deploy form is an open object).
func (o *ostreeOptions) UnmarshalJSON(b []byte) error {
	type plain ostreeOptions
	return json.Unmarshal(b, (*plain)(o))
}

func planOstree(c *Context, o *ostreeOptions) (*Plan, error) {
	if o.OSName != "" {
		return planOstreeDeploy(c, o)
	}
	return InBuildroot(), nil
}

func runOstree(rt *Runtime, o *ostreeOptions) error {
	if o.OSName != "" {
		return runOstreeDeploy(rt, o)
	}
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
