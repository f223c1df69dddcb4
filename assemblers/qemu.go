package assemblers

import (
	"encoding/json"
	"fmt"

	"github.com/osbuildkit/osbuildkit/manifest"
	"github.com/osbuildkit/osbuildkit/stages"
)

// qemu is the v1 org.osbuild.qemu assembler: a bootable disk image of the
// tree, assembled without privileges (see stages.Disk) and converted to
// "format" in the same step. It takes osbuild's options and the dialect's
// partitions (a filesystem name as "type", sizes in bytes, "mountpoint").
// The root filesystem's UUID is root_fs_uuid, else the one
// org.osbuild.grub2's root_fs_uuid names.
type qemu struct{}

var _ stages.Runner = qemu{}

func init() { stages.Register(manifest.KindAssembler, qemu{}) }

func (qemu) Type() string { return "org.osbuild.qemu" }

type qemuOptions struct {
	stages.DiskOptions
	Format      string `json:"format"`
	Filename    string `json:"filename"`
	QCOW2Compat string `json:"qcow2_compat"`
	Compression bool   `json:"compression"`
}

func (qemu) Plan(st *manifest.Stage) (*stages.Plan, error) {
	_, warnings, err := stages.PlanDisk(st)
	if err != nil {
		return nil, err
	}
	return &stages.Plan{Exec: &stages.Exec{Root: stages.RootBuildroot}, Outputs: []string{fmt.Sprint(st.Options["filename"])}, Warnings: warnings}, nil
}

func (qemu) Run(rt *stages.Runtime) error {
	var o qemuOptions
	if err := json.Unmarshal(rt.Options, &o); err != nil {
		return err
	}
	f := stages.ImageFormat{Type: o.Format, Compat: o.QCOW2Compat, Compression: o.Compression}
	return stages.BuildDiskImage(rt, o.DiskOptions, o.Filename, f)
}
