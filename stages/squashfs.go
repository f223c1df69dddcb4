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
	if err := c.RequireInput("tree"); err != nil {
		return nil, err
	}
	plan, err := treeOutputPlan(c, o.Filename)
	if err != nil {
		return nil, err
	}
	plan.Exec.Tools = []string{"squashfs-tools"}
	if o.Source != "" {
		l, err := manifest.ParseLocation(o.Source)
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
	detach, err := rt.Attach()
	if err != nil {
		return err
	}
	defer detach()
	src, err := rt.InputPath("tree")
	if o.Source != "" {
		src, err = rt.resolve(o.Source)
		src = strings.TrimSuffix(src, "/.")
	}
	if err != nil {
		return err
	}
	out, err := rt.outputPath(o.Filename)
	if err != nil {
		return err
	}
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
