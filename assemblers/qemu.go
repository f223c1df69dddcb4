package assemblers

import (
	"github.com/osbuildkit/osbuildkit/disk"
	"github.com/osbuildkit/osbuildkit/manifest"
	"github.com/osbuildkit/osbuildkit/stages"
)

// The v1 org.osbuild.qemu assembler: a bootable disk image of the tree,
// assembled without privileges (see package disk) and converted to
// "format" in the same step. It takes osbuild's options and the dialect's
// partitions (a filesystem name as "type", sizes in bytes, "mountpoint").
// The root filesystem's UUID is root_fs_uuid, else the one
// org.osbuild.grub2's root_fs_uuid names.
func init() {
	stages.Define(stages.Definition[qemuOptions]{Type: "org.osbuild.qemu", Kind: manifest.KindAssembler, Plan: planQemu, Run: runQemu})
}

type qemuOptions struct {
	disk.Options
	Format      string `json:"format"`
	Filename    string `json:"filename"`
	QCOW2Compat string `json:"qcow2_compat"`
	Compression bool   `json:"compression"`
}

func planQemu(c *stages.Context, o *qemuOptions) (*stages.Plan, error) {
	return stages.PlanDiskImage(c, &o.Options, o.Filename)
}

func runQemu(rt *stages.Runtime, o *qemuOptions) error {
	f := disk.Format{Type: o.Format, Compat: o.QCOW2Compat, Compression: o.Compression}
	return stages.BuildDiskImage(rt, &o.Options, o.Filename, f)
}
