package stages

import (
	"github.com/osbuildkit/osbuildkit/disk"
)

// org.osbuild.qemu: convert the raw disk image of the "image"
// input (org.osbuild.files from a pipeline: {"name:X": {"file": "disk.raw"}})
// into filename, with qemu-img (qcow2, vmdk, vdi, vpc, vhdx) or xz (raw.xz).
func init() {
	Define(Definition[qemuOptions]{Type: "org.osbuild.qemu", Plan: planQemu, Run: runQemu})
}

type qemuOptions struct {
	Filename string      `json:"filename"`
	Format   disk.Format `json:"format"`
}

func planQemu(c *Context, o *qemuOptions) (*Plan, error) {
	return outputPlan(c, o.Filename)
}

func runQemu(rt *Runtime, o *qemuOptions) error {
	src, err := rt.InputFile("image")
	if err != nil {
		return err
	}
	out, err := rt.Path("/" + o.Filename)
	if err != nil {
		return err
	}
	// Convert consumes its input; the input is read-only, so work on a copy
	// only for raw output.
	if o.Format.Type == "raw" {
		return rt.Run("cp", "--sparse=always", src, out)
	}
	_, err = disk.Convert(withoutSync(rt), src, out, o.Format.OsbuildDefaults())
	return err
}
