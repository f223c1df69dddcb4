package stages

import (
	"strings"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// org.osbuild.squashfs: a squashfs image of the "tree" input (or of
// source, input://NAME/PATH or mount://NAME/PATH) as filename in the
// tree (its directory must exist), with mksquashfs (squashfs-tools, added to the host buildroot for
// this stage): compression method and its bcj filter, exclude_paths as
// mksquashfs -regex -e patterns. With the pipeline's source-epoch
// (SOURCE_DATE_EPOCH) the image's time is fixed, so the image is the same
// byte for byte. A source on a mount needs security.insecure.
func init() {
	Define(Definition[squashfsOptions]{Type: "org.osbuild.squashfs", Plan: planSquashfs, Run: runSquashfs})
}

type squashfsOptions struct {
	Filename     string   `json:"filename"`
	Source       string   `json:"source"`
	ExcludePaths []string `json:"exclude_paths"`
	Compression  *struct {
		Method  string `json:"method"`
		Options *struct {
			BCJ string `json:"bcj"`
		} `json:"options"`
	} `json:"compression"`
}

func planSquashfs(c *Context, o *squashfsOptions) (*Plan, error) {
	return planTreeImage(c, o.Filename, o.Source, "squashfs-tools")
}

// planTreeImage is the plan of a stage that makes a filesystem image of
// its "tree" input, or of source, as filename in its tree, with the
// Debian package tool: squashfs and erofs.
func planTreeImage(c *Context, filename, source, tool string) (*Plan, error) {
	if err := c.RequireInput("tree"); err != nil {
		return nil, err
	}
	plan, err := treeOutputPlan(c, filename)
	if err != nil {
		return nil, err
	}
	plan.Exec.Tools = []string{tool}
	if source != "" {
		l, err := manifest.ParseLocation(source)
		if err == nil {
			err = checkLocation(c.Stage, l)
		}
		if err != nil {
			return nil, c.OptionError(manifest.Path{"source"}, "%v", err)
		}
		plan.Exec.Insecure = l.Scheme == "mount"
	}
	return plan, nil
}

func runSquashfs(rt *Runtime, o *squashfsOptions) error {
	src, out, detach, err := treeImagePaths(rt, o.Filename, o.Source)
	if err != nil {
		return err
	}
	defer detach()
	args := []string{src, out, "-noappend", "-no-progress"}
	if c := o.Compression; c != nil {
		args = append(args, "-comp", c.Method)
		if c.Options != nil && c.Options.BCJ != "" {
			args = append(args, "-Xbcj", c.Options.BCJ)
		}
	}
	if len(o.ExcludePaths) > 0 {
		args = append(append(args, "-regex", "-e"), o.ExcludePaths...)
	}
	return rt.Run("mksquashfs", args...)
}

// treeImagePaths sets up the stage's devices and mounts (detach tears them
// down) and says what a filesystem image is made of, the "tree" input or
// source, and where it goes, filename in the tree.
func treeImagePaths(rt *Runtime, filename, source string) (src, out string, detach func(), err error) {
	detach, err = rt.Attach()
	if err != nil {
		return "", "", nil, err
	}
	src, err = rt.InputPath("tree")
	if source != "" {
		src, err = rt.resolve(source)
		src = strings.TrimSuffix(src, "/.")
	}
	if err == nil {
		out, err = rt.outputPath(filename)
	}
	if err != nil {
		detach()
		return "", "", nil, err
	}
	return src, out, detach, nil
}
