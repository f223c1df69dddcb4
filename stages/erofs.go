package stages

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/osbuildkit/osbuildkit/disk"
)

// org.osbuild.erofs: an EROFS image of the "tree" input (or of source,
// input://NAME/PATH or mount://NAME/PATH) as filename in the tree (its
// directory must exist), with mkfs.erofs (erofs-utils, added to the host
// buildroot): compression method and level, cluster-size, extended
// options, exclude_paths as --exclude-regex patterns. With the pipeline's
// source-epoch the image's time is fixed (SOURCE_DATE_EPOCH) and its UUID,
// random in osbuild, is derived from the stage's options and the epoch,
// so the image is the same byte for byte. Bookworm's erofs-utils
// compresses with lz4 and lz4hc only. A source on a mount needs
// security.insecure.
func init() {
	Define(Definition[erofsOptions]{Type: "org.osbuild.erofs", Plan: planErofs, Run: runErofs})
}

type erofsOptions struct {
	Filename     string   `json:"filename"`
	Source       string   `json:"source"`
	ExcludePaths []string `json:"exclude_paths"`
	Compression  *struct {
		Method string      `json:"method"`
		Level  json.Number `json:"level"`
	} `json:"compression"`
	ClusterSize json.Number `json:"cluster-size"`
	Options     []string    `json:"options"`
}

func planErofs(c *Context, o *erofsOptions) (*Plan, error) {
	return planTreeImage(c, o.Filename, o.Source, "erofs-utils")
}

func runErofs(rt *Runtime, o *erofsOptions) error {
	src, out, detach, err := treeImagePaths(rt, o.Filename, o.Source)
	if err != nil {
		return err
	}
	defer detach()
	args := erofsArgs(o, out, src)
	if rt.SourceEpoch != nil {
		epoch := strconv.FormatInt(*rt.SourceEpoch, 10)
		args = append(args, "-U", disk.DerivedUUID("org.osbuild.erofs", string(rt.Options), epoch))
	}
	return rt.Run("mkfs.erofs", args...)
}

// erofsArgs is osbuild's mkfs.erofs command line, argument for argument.
func erofsArgs(o *erofsOptions, out, src string) []string {
	args := []string{out, src, "--quiet"}
	if c := o.Compression; c != nil {
		method := c.Method
		if nonZero(c.Level) {
			method += "," + c.Level.String()
		}
		args = append(args, "-z", method)
	}
	if len(o.Options) > 0 {
		args = append(args, "-E", strings.Join(o.Options, ","))
	}
	if nonZero(o.ClusterSize) {
		args = append(args, "-C", o.ClusterSize.String())
	}
	for _, e := range o.ExcludePaths {
		args = append(args, "--exclude-regex", e)
	}
	return args
}

// nonZero says whether a number is given and not 0 (what Python's truth
// test of it says), the number written as the manifest has it.
func nonZero(n json.Number) bool {
	f, err := n.Float64()
	return n != "" && (err != nil || f != 0)
}
