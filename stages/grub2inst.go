package stages

import (
	"fmt"

	"github.com/osbuildkit/osbuildkit/disk"
	"github.com/osbuildkit/osbuildkit/manifest"
)

// org.osbuild.grub2.inst: install GRUB's BIOS boot code into a
// disk image file in the tree without a device: core.img (made with
// grub-mkimage, modules from the tree or the buildroot) at "location"
// (a sector), boot.img into the MBR, each patched with the other's
// location, as grub-bios-setup would. prefix.number counts partitions from
// 0, as osbuild does; a prefix without a number is the path alone. Without
// a location (or 0) the file is core.img itself, as osbuild writes it: with
// core.filesystem iso9660 the El Torito image a BIOS boots an ISO from
// (grub-mkimage's i386-pc-eltorito, the prefix a path on the ISO).
func init() {
	Define(Definition[grub2InstOptions]{Type: "org.osbuild.grub2.inst", Plan: planGrub2Inst, Run: runGrub2Inst})
}

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
		Number    *int   `json:"number"`
		Path      string `json:"path"`
	} `json:"prefix"`
	SectorSize int64 `json:"sector-size"`
}

func planGrub2Inst(c *Context, o *grub2InstOptions) (*Plan, error) {
	if o.SectorSize != 0 && o.SectorSize != disk.Sector {
		return nil, c.OptionError(manifest.Path{"sector-size"}, "only %d-byte sectors are supported", disk.Sector)
	}
	if _, err := c.TreePath(manifest.Path{"filename"}, o.Filename); err != nil {
		return nil, err
	}
	if o.Location < 0 {
		return nil, c.OptionError(manifest.Path{"location"}, "a sector cannot be negative")
	}
	if o.Core.Filesystem == "iso9660" && o.Location != 0 {
		return nil, c.OptionError(manifest.Path{"location"}, "an iso9660 core image is an El Torito image of its own: give no location")
	}
	return InBuildroot(), nil
}

func runGrub2Inst(rt *Runtime, o *grub2InstOptions) error {
	name, err := manifest.TreePath(o.Filename)
	if err != nil {
		return err
	}
	image, err := rt.Path(name)
	if err != nil {
		return err
	}
	mods, err := disk.GRUBModules(rt.Tree, "i386-pc")
	if err != nil {
		return err
	}
	fsmod := map[string]string{"ext4": "ext2", "xfs": "xfs", "btrfs": "btrfs", "iso9660": "iso9660"}[o.Core.Filesystem]
	prefix := o.Prefix.Path
	if o.Prefix.Number != nil {
		label := map[string]string{"gpt": "gpt", "dos": "msdos"}
		prefix = fmt.Sprintf("(,%s%d)%s", label[o.Prefix.PartLabel], *o.Prefix.Number+1, o.Prefix.Path)
	}
	if o.Location == 0 {
		format := "i386-pc"
		if o.Core.Filesystem == "iso9660" {
			format = "i386-pc-eltorito"
		}
		part := map[string]string{"gpt": "part_gpt", "dos": "part_msdos"}[o.Core.PartLabel]
		return rt.Run("grub-mkimage", "-O", format, "-d", mods, "-p", prefix, "-o", image, "biosdisk", part, fsmod)
	}
	bootImg, coreImg, err := disk.BIOSImages(rt, mods, prefix, o.Core.PartLabel, fsmod, image+".core.img")
	if err != nil {
		return err
	}
	return disk.WriteBIOSBoot(image, bootImg, coreImg, o.Location)
}
