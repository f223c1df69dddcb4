package stages

import (
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// org.osbuild.ostree.commit: commit the "tree" input to the
// repository in this pipeline's tree ("repository", default /repo, made by
// org.osbuild.ostree.init) on "ref", with os_version as the
// version metadata and "parent" as the parent commit.
func init() {
	Define(Definition[ostreeCommitOptions]{Type: "org.osbuild.ostree.commit", Plan: planOstreeCommit, Run: runOstreeCommit})
}

type ostreeCommitOptions struct {
	Ref        string            `json:"ref"`
	OSVersion  string            `json:"os_version"`
	Parent     string            `json:"parent"`
	Repository string            `json:"repository"`
	Subject    string            `json:"subject"`
	Metadata   map[string]string `json:"metadata"`
}

func planOstreeCommit(c *Context, _ *ostreeCommitOptions) (*Plan, error) {
	if err := c.RequireInput("tree"); err != nil {
		return nil, err
	}
	return InBuildroot(), nil
}

func runOstreeCommit(rt *Runtime, o *ostreeCommitOptions) error {
	if o.Repository == "" {
		o.Repository = "/repo"
	}
	repo, err := rt.Path(o.Repository)
	if err != nil {
		return err
	}
	tree, err := rt.InputPath("tree")
	if err != nil {
		return err
	}
	return CommitTree(rt, repo, tree, o.Ref, CommitArgs(o.Subject, o.OSVersion, o.Parent, o.Metadata)...)
}

// CommitArgs are ostree commit's options for a subject, a version, a parent
// and metadata.
func CommitArgs(subject, version, parent string, metadata map[string]string) []string {
	var args []string
	if subject != "" {
		args = append(args, "--subject="+subject)
	}
	if version != "" {
		args = append(args, "--add-metadata-string=version="+version)
	}
	if parent != "" {
		args = append(args, "--parent="+parent)
	}
	for _, k := range slices.Sorted(maps.Keys(metadata)) {
		args = append(args, "--add-metadata-string="+k+"="+metadata[k])
	}
	return args
}

// CommitTree commits a directory to an OSTree repository on ref, through
// a tar stream: device nodes, sockets and FIFOs cannot be stored by OSTree
// and are left out (the booted system's /dev and /run are filesystems of
// their own).
func CommitTree(rt *Runtime, repo, tree, ref string, extra ...string) error {
	skip, err := unstorable(tree)
	if err != nil {
		return err
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
	commit := rt.Command("ostree", append(args, extra...)...)
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
