package stages

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
)

// org.osbuild.cpio.out: a cpio archive of the "tree" input as filename in
// the tree (its directory must exist), with GNU cpio (added to the host
// buildroot for this stage): format (newc unless set), the root directory
// included unless root-node is "omit", --reproducible unless reproducible
// is false, owner as --owner=USER[:GROUP], append to an existing archive.
// Entries come in osbuild's order (each directory's files, then the
// directory, then its subdirectories), sorted by name so that the archive
// does not depend on the order a file system lists directories in.
// osbuild drops symbolic links to directories (Python's os.walk counts
// them as directories it does not enter); here they are archived like any
// other link, so an initramfs keeps /bin -> usr/bin.
func init() {
	Define(Definition[cpioOutOptions]{Type: "org.osbuild.cpio.out", Plan: planCpioOut, Run: runCpioOut})
}

type cpioOutOptions struct {
	Filename     string `json:"filename"`
	Append       bool   `json:"append"`
	Format       string `json:"format"`
	RootNode     string `json:"root-node"`
	Reproducible *bool  `json:"reproducible"`
	Owner        *struct {
		User  string `json:"user"`
		Group string `json:"group"`
	} `json:"owner"`
}

func planCpioOut(c *Context, o *cpioOutOptions) (*Plan, error) {
	if err := c.RequireInput("tree"); err != nil {
		return nil, err
	}
	plan, err := treeOutputPlan(c, o.Filename)
	if err != nil {
		return nil, err
	}
	plan.Exec.Tools = []string{"cpio"}
	if o.Append {
		plan.Outputs = nil // adds to what an earlier stage wrote
	}
	return plan, nil
}

func runCpioOut(rt *Runtime, o *cpioOutOptions) error {
	tree, err := rt.InputPath("tree")
	if err != nil {
		return err
	}
	out, err := rt.outputPath(o.Filename)
	if err != nil {
		return err
	}
	format := o.Format
	if format == "" {
		format = "newc"
	}
	args := []string{"-o", "--format=" + format, "--null", "--quiet"}
	if o.Reproducible == nil || *o.Reproducible {
		args = append(args, "--reproducible")
	}
	if o.Append {
		args = append(args, "--append")
	}
	if o.Owner != nil {
		owner := "--owner=" + o.Owner.User
		if o.Owner.Group != "" {
			owner += ":" + o.Owner.Group
		}
		args = append(args, owner)
	}
	var list bytes.Buffer
	if err := cpioList(tree, ".", o.RootNode != "omit", &list); err != nil {
		return err
	}
	cmd := rt.Command("cpio", append(args, "-O", out, "-D", tree)...)
	cmd.Stdin = &list
	return rt.Exec(cmd)
}

// cpioList writes the NUL-separated names below dir (relative to tree) in
// osbuild's order: the directory's files, the directory itself (the root
// only if include), then each subdirectory.
func cpioList(tree, dir string, include bool, w *bytes.Buffer) error {
	entries, err := os.ReadDir(filepath.Join(tree, dir))
	if err != nil {
		return err
	}
	var subdirs []string
	for _, e := range entries {
		name := filepath.Join(dir, e.Name())
		if e.IsDir() {
			subdirs = append(subdirs, name)
			continue
		}
		w.WriteString(name + "\x00")
	}
	if dir != "." || include {
		w.WriteString(dir + "\x00")
	}
	slices.Sort(subdirs)
	for _, d := range subdirs {
		if err := cpioList(tree, d, true, w); err != nil {
			return err
		}
	}
	return nil
}
