package stages

import (
	"encoding/json"
	"fmt"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// image is org.osbuild.image (osbuildkit's own): assemble a partitioned
// disk image from the "tree" input into filename, without loop devices or
// mounts, so it needs no privilege. "format" converts it in the same step
// (qcow2 and friends keep it small; raw images lose their holes once they
// leave BuildKit). Partition and filesystem options are the qemu
// assembler's.
type image struct{}

var _ Runner = image{}

func init() { Register(manifest.KindStage, image{}) }

func (image) Type() string { return "org.osbuild.image" }

type imageOptions struct {
	DiskOptions
	Filename string       `json:"filename"`
	Format   *ImageFormat `json:"format"`
}

func (image) Plan(st *manifest.Stage) (*Plan, error) {
	if st.Input("tree") == nil {
		return nil, &manifest.LocationError{Path: st.Path, Err: fmt.Errorf("%s needs an input named \"tree\"", st.Type)}
	}
	_, warnings, err := PlanDisk(st)
	if err != nil {
		return nil, err
	}
	plan := execInBuildroot()
	plan.Outputs = []string{fmt.Sprint(st.Options["filename"])}
	plan.Warnings = warnings
	return plan, nil
}

func (image) Run(rt *Runtime) error {
	var o imageOptions
	if err := json.Unmarshal(rt.Options, &o); err != nil {
		return err
	}
	f := ImageFormat{Type: "raw"}
	if o.Format != nil {
		f = *o.Format
	}
	return BuildDiskImage(rt, o.DiskOptions, o.Filename, f)
}

// BuildDiskImage assembles the "tree" input into the output file in the
// requested format. The layout's warnings were given when the build was
// planned (so they are seen even when this step comes from the cache).
func BuildDiskImage(rt *Runtime, o DiskOptions, filename string, f ImageFormat) error {
	d, _, err := o.Layout()
	if err != nil {
		return err
	}
	tree, err := rt.InputPath("tree")
	if err != nil {
		return err
	}
	out, err := rt.Path("/" + filename)
	if err != nil {
		return err
	}
	raw := out + ".raw.partial"
	if err := d.Assemble(rt, tree, raw); err != nil {
		return err
	}
	return Convert(rt, raw, out, f)
}
