package assemblers

import (
	"github.com/osbuildkit/osbuildkit/disk"
	"github.com/osbuildkit/osbuildkit/manifest"
	"github.com/osbuildkit/osbuildkit/stages"
)

// The v1 org.osbuild.qemu assembler: a bootable disk image of the tree,
// assembled without privileges (see package disk) and converted to
// "format" in the same step. It takes osbuild's options, and the
// dialect's partitions (a filesystem name as "type", sizes in bytes,
// "mountpoint"). In osbuild's form qcow2 and vmdk are compressed and vpc
// is fixed-size, as osbuild makes them; in the dialect's, only with
// "compression". The root filesystem's UUID is root_fs_uuid, else the one
// org.osbuild.grub2's root_fs_uuid names.
func init() {
	stages.Define(stages.Definition[qemuOptions]{Type: "org.osbuild.qemu", Kind: manifest.KindAssembler, Plan: planQemu, Run: runQemu})
}

type qemuOptions struct {
	disk.Options
	Format        string `json:"format"`
	Filename      string `json:"filename"`
	QCOW2Compat   string `json:"qcow2_compat"`
	VMDKSubformat string `json:"vmdk_subformat"`
	// Compression is the dialect's.
	Compression *bool `json:"compression"`
}

// dialect says whether the options are the users' dialect: partitions
// named by filesystem, with mountpoints, or "compression".
func (o *qemuOptions) dialect() bool {
	if o.Compression != nil {
		return true
	}
	for _, p := range o.Partitions {
		if p.Mountpoint != "" || disk.NamesFilesystem(p.Type) {
			return true
		}
	}
	return false
}

func planQemu(c *stages.Context, o *qemuOptions) (*stages.Plan, error) {
	return stages.PlanDiskImage(c, &o.Options, o.Filename)
}

func runQemu(rt *stages.Runtime, o *qemuOptions) error {
	f := disk.Format{Type: o.Format, Compat: o.QCOW2Compat, Subformat: o.VMDKSubformat, Compression: o.Compression}
	if !o.dialect() {
		f = f.OsbuildDefaults()
	}
	return stages.BuildDiskImage(rt, &o.Options, o.Filename, f)
}
