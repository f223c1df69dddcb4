package assemblers

import (
	"os"

	"github.com/osbuildkit/osbuildkit/manifest"
	"github.com/osbuildkit/osbuildkit/stages"
)

// The v1 org.osbuild.ostree.commit assembler: the tree committed to a new
// archive-mode OSTree repository in the output, ready to serve over HTTP,
// as osbuild's assembler makes it: /tmp committed as a directory, or with
// "tmp-is-dir" false as a link to sysroot/tmp; with "tar", the repository
// is delivered as that tarball instead. The dialect's form names the ref
// "branch" and the output directory "repository" (default "repo").
func init() {
	stages.Define(stages.Definition[ostreeCommitOptions]{Type: "org.osbuild.ostree.commit", Kind: manifest.KindAssembler, Run: runOstreeCommit})
}

type ostreeCommitOptions struct {
	Ref        string `json:"ref"`
	TmpIsDir   *bool  `json:"tmp-is-dir"`
	Branch     string `json:"branch"`
	Repository string `json:"repository"`
	OSVersion  string `json:"os_version"`
	Parent     string `json:"parent"`
	Tar        *struct {
		Filename string `json:"filename"`
	} `json:"tar"`
}

func runOstreeCommit(rt *stages.Runtime, o *ostreeCommitOptions) error {
	ref := o.Ref
	if ref == "" {
		ref = o.Branch
	}
	name := o.Repository
	if name == "" {
		name = "repo"
	}
	repo, err := rt.Path("/" + name)
	if o.Tar != nil {
		repo, err = os.MkdirTemp("", "ostree-repo-")
		defer os.RemoveAll(repo)
	}
	if err != nil {
		return err
	}
	if err := os.MkdirAll(repo, 0o755); err != nil {
		return err
	}
	if err := rt.Run("ostree", "--repo="+repo, "init", "--mode=archive"); err != nil {
		return err
	}
	tree, err := rt.InputPath("tree")
	if err != nil {
		return err
	}
	co := stages.CommitOptions{Args: stages.CommitArgs(o.OSVersion, o.Parent), TmpSymlink: o.TmpIsDir != nil && !*o.TmpIsDir}
	if err := stages.CommitTree(rt, repo, tree, ref, co); err != nil {
		return err
	}
	if err := rt.Run("ostree", "--repo="+repo, "summary", "--update"); err != nil {
		return err
	}
	if o.Tar == nil {
		return nil
	}
	out, err := rt.Path("/" + o.Tar.Filename)
	if err != nil {
		return err
	}
	return rt.Run("tar", "--create", "--sort=name", "--numeric-owner", "--file", out, "--directory", repo, ".")
}
