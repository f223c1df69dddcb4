package stages

import (
	"fmt"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// grub2Inst is org.osbuild.grub2.inst: install GRUB's BIOS boot code into a
// disk image file in the tree without a device: core.img (made with
// grub-mkimage, modules from the tree or the buildroot) at "location"
// (a sector), boot.img into the MBR, each patched with the other's
// location, as grub-bios-setup would. prefix.number counts partitions from
// 0, as osbuild does.
type grub2Inst struct{}

var _ Runner = grub2Inst{}

func init() { Register(manifest.KindStage, grub2Inst{}) }

func (grub2Inst) Type() string { return "org.osbuild.grub2.inst" }

type grub2InstOptions struct {
	Filename string `json:"filename"`
	Platform string `json:"platform"`
	Location int64  `json:"location"`
	Core     struct {
		Type       string `json:"type"`
		PartLabel  string `json:"partlabel"`
		Filesystem string `json:"filesystem"`
		Binary     string `json:"binary"`
	} `json:"core"`
	Prefix struct {
		Type      string `json:"type"`
		PartLabel string `json:"partlabel"`
		Number    int    `json:"number"`
		Path      string `json:"path"`
	} `json:"prefix"`
	SectorSize int64 `json:"sector-size"`
}

func (grub2Inst) Plan(st *manifest.Stage) (*Plan, error) {
	var o grub2InstOptions
	if err := decode(st, &o); err != nil {
		return nil, err
	}
	if o.SectorSize != 0 && o.SectorSize != sector {
		return nil, optionError(st, manifest.Path{"sector-size"}, "only %d-byte sectors are supported", sector)
	}
	if o.Location < 1 {
		return nil, optionError(st, manifest.Path{"location"}, "core.img cannot go at sector 0: that is the MBR")
	}
	return execInBuildroot(), nil
}

func (grub2Inst) Run(rt *Runtime) error {
	var o grub2InstOptions
	if err := rt.Decode(&o); err != nil {
		return err
	}
	image, err := rt.Path(o.Filename)
	if err != nil {
		return err
	}
	mods, err := moduleDirIn(rt.Tree, "i386-pc")
	if err != nil {
		return err
	}
	label := map[string]string{"gpt": "gpt", "dos": "msdos"}
	fsmod := map[string]string{"ext4": "ext2", "xfs": "xfs", "btrfs": "btrfs"}[o.Core.Filesystem]
	prefix := fmt.Sprintf("(,%s%d)%s", label[o.Prefix.PartLabel], o.Prefix.Number+1, o.Prefix.Path)
	bootImg, coreImg, err := biosImages(rt, mods, prefix, o.Core.PartLabel, fsmod, image+".core.img")
	if err != nil {
		return err
	}
	return writeBIOSBoot(image, bootImg, coreImg, o.Location)
}
