package stages

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// org.osbuild.ostree.commit: commit the "tree" input to the repository
// /repo in this pipeline's tree (made by org.osbuild.ostree.init) on
// "ref", with os_version as the version metadata and "parent" as the
// parent commit, and write /compose.json beside it (the commit and the
// ref), as osbuild's stage does. osbuild commits with rpm-ostree;
// osbuildkit with ostree, which labels nothing, so selinux-label-version
// has no effect (rule NoEffectHere warns).
func init() {
	Define(Definition[ostreeCommitOptions]{Type: "org.osbuild.ostree.commit", Plan: planOstreeCommit, Run: runOstreeCommit})
}

type ostreeCommitOptions struct {
	Ref                 string `json:"ref"`
	OSVersion           string `json:"os_version"`
	Parent              string `json:"parent"`
	SELinuxLabelVersion int    `json:"selinux-label-version"`
}

func planOstreeCommit(c *Context, _ *ostreeCommitOptions) (*Plan, error) {
	if err := c.RequireInput("tree"); err != nil {
		return nil, err
	}
	return InBuildroot(), nil
}

func runOstreeCommit(rt *Runtime, o *ostreeCommitOptions) error {
	repo, err := rt.Path("/repo")
	if err != nil {
		return err
	}
	tree, err := rt.InputPath("tree")
	if err != nil {
		return err
	}
	if err := CommitTree(rt, repo, tree, o.Ref, CommitOptions{Args: CommitArgs(o.OSVersion, o.Parent)}); err != nil {
		return err
	}
	commit, err := rt.Output("ostree", "rev-parse", "--repo="+repo, o.Ref)
	if err != nil {
		return err
	}
	compose, err := json.Marshal(map[string]string{"ostree-commit": strings.TrimSpace(string(commit)), "ref": o.Ref})
	if err != nil {
		return err
	}
	return rt.WriteFile("/compose.json", compose, 0o644)
}

// CommitArgs are ostree commit's options for a version and a parent.
func CommitArgs(version, parent string) []string {
	var args []string
	if version != "" {
		args = append(args, "--add-metadata-string=version="+version)
	}
	if parent != "" {
		args = append(args, "--parent="+parent)
	}
	return args
}

// CommitOptions say how CommitTree commits.
type CommitOptions struct {
	// Args are more ostree commit arguments.
	Args []string
	// TmpSymlink commits /tmp as a symbolic link to sysroot/tmp rather
	// than the tree's directory (osbuild's tmp-is-dir false).
	TmpSymlink bool
}

// CommitTree commits a directory to an OSTree repository on ref, through
// a tar stream: device nodes, sockets and FIFOs cannot be stored by OSTree
// and are left out (the booted system's /dev and /run are filesystems of
// their own).
func CommitTree(rt *Runtime, repo, tree, ref string, co CommitOptions) error {
	skip, err := unstorable(tree)
	if err != nil {
		return err
	}
	if co.TmpSymlink {
		overlay, err := os.MkdirTemp("", "ostree-tmp-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(overlay)
		if err := os.Symlink("sysroot/tmp", filepath.Join(overlay, "tmp")); err != nil {
			return err
		}
		skip = append(skip, "./tmp")
		co.Args = append(co.Args, "--tree=dir="+overlay)
	}
	list, err := os.CreateTemp("", "ostree-skip-")
	if err != nil {
		return err
	}
	defer os.Remove(list.Name())
	if _, err := list.WriteString(strings.Join(skip, "\n") + "\n"); err != nil {
		return err
	}
	list.Close()
	tarCmd := rt.Command("tar", "--create", "--file=-", "--directory="+tree, "--numeric-owner", "--xattrs", "--xattrs-include=*", "--exclude-from="+list.Name(), ".")
	args := []string{"--repo=" + repo, "commit", "--branch=" + ref, "--tree=tar=-", "--tar-autocreate-parents"}
	if rt.SourceEpoch != nil {
		args = append(args, "--timestamp=@"+strconv.FormatInt(*rt.SourceEpoch, 10))
	}
	commit := rt.Command("ostree", append(args, co.Args...)...)
	// A real pipe, both ends closed here once the children have them, so a
	// failing ostree makes tar stop (SIGPIPE) instead of blocking.
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	tarCmd.Stdout, commit.Stdin = w, r
	if err := tarCmd.Start(); err != nil {
		r.Close()
		w.Close()
		return err
	}
	w.Close()
	commitErr := commit.Run()
	r.Close()
	tarErr := tarCmd.Wait()
	if commitErr != nil {
		return fmt.Errorf("ostree commit: %w", commitErr)
	}
	if tarErr != nil {
		return fmt.Errorf("reading the tree for ostree: %w", tarErr)
	}
	return nil
}

func unstorable(tree string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(tree, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&(fs.ModeDevice|fs.ModeCharDevice|fs.ModeSocket|fs.ModeNamedPipe) != 0 {
			rel, _ := filepath.Rel(tree, p)
			out = append(out, "./"+rel)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}
