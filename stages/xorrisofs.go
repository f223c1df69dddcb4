package stages

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// org.osbuild.xorrisofs: an ISO 9660 image of the "tree" input, written
// as filename into the stage's tree, with xorrisofs (xorriso, added to the
// host buildroot). As osbuild: grub2mbr (a file in the buildroot) makes a
// GRUB hybrid ISO, the El Torito EFI image (efi) then an appended GPT
// partition; without grub2mbr, an ISOLINUX ISO (isohybridmbr its hybrid
// MBR, efi a second El Torito image in the tree); chrp_boot, present, a
// ppc64le one.
// With the pipeline's source-epoch xorriso takes its volume dates and
// UUIDs from SOURCE_DATE_EPOCH and every file's dates are set to it
// (--set_all_file_dates), so the ISO is the same byte for byte.
func init() {
	Define(Definition[xorrisofsOptions]{Type: "org.osbuild.xorrisofs", Plan: planXorrisofs, Run: runXorrisofs})
}

type xorrisofsOptions struct {
	Filename string `json:"filename"`
	VolID    string `json:"volid"`
	SysID    string `json:"sysid"`
	Pub      string `json:"pub"`
	AppID    string `json:"appid"`
	Prep     string `json:"prep"`
	Boot     *struct {
		Image      string `json:"image"`
		Catalog    string `json:"catalog"`
		NoBootInfo bool   `json:"nobootinfo"`
	} `json:"boot"`
	EFI                   string   `json:"efi"`
	Grub2MBR              string   `json:"grub2mbr"`
	IsohybridMBR          string   `json:"isohybridmbr"`
	IsoLevel              int      `json:"isolevel"`
	Exclude               []string `json:"exclude"`
	RationalRock          bool     `json:"rational_rock"`
	UntranslatedFilenames bool     `json:"untranslated_filenames"`
	FullFilenames         bool     `json:"full_filenames"`
	VolSet                string   `json:"volset"`
	// ChrpBoot, given at all (osbuild tests for the key), makes a
	// ppc64le ISO; true marks it as a CHRP partition.
	ChrpBoot *bool `json:"chrp_boot"`
}

// isoBootFiles are the Debian packages that put the boot files osbuild's
// manifests name for grub2mbr and isohybridmbr into the buildroot.
var isoBootFiles = map[string]string{
	"/usr/lib/grub/i386-pc/": "grub-pc-bin",
	"/usr/lib/ISOLINUX/":     "isolinux",
	"/usr/share/syslinux/":   "syslinux-common",
	"/usr/lib/syslinux/":     "syslinux-common",
}

func planXorrisofs(c *Context, o *xorrisofsOptions) (*Plan, error) {
	if err := c.RequireInput("tree"); err != nil {
		return nil, err
	}
	plan, err := treeOutputPlan(c, o.Filename)
	if err != nil {
		return nil, err
	}
	plan.Exec.Tools = []string{"xorriso"}
	for _, f := range []string{o.Grub2MBR, o.IsohybridMBR} {
		for dir, pkg := range isoBootFiles {
			if strings.HasPrefix(f, dir) {
				plan.Exec.Tools = append(plan.Exec.Tools, pkg)
			}
		}
	}
	if o.ChrpBoot != nil && o.EFI != "" {
		return nil, c.OptionError(manifest.Path{"efi"}, "UEFI is not supported with chrp_boot (ppc64le)")
	}
	return plan, checkISOFieldLengths(c, o)
}

// checkISOFieldLengths refuses what xorrisofs fails on ("Text too long"):
// a volume or system ID longer than ISO 9660's 32 characters. osbuild's
// schema patterns for them are not anchored, so they take any length (its
// other fields' patterns stop at 128).
func checkISOFieldLengths(c *Context, o *xorrisofsOptions) error {
	for _, f := range []struct {
		key, value string
		max        int
	}{{"volid", o.VolID, 32}, {"sysid", o.SysID, 32}} {
		if n := len(f.value); n > f.max {
			return c.OptionError(manifest.Path{f.key}, "%q is %d characters long; ISO 9660 allows %d here (xorrisofs fails on it)", f.value, n, f.max)
		}
	}
	return nil
}

func runXorrisofs(rt *Runtime, o *xorrisofsOptions) error {
	tree, out, detach, err := treeImagePaths(rt, o.Filename, "")
	if err != nil {
		return err
	}
	defer detach()
	if o.Grub2MBR != "" && o.ChrpBoot == nil {
		if _, err := os.Stat(o.Grub2MBR); err != nil {
			return fmt.Errorf("grub2mbr %s is missing from the buildroot: %w", o.Grub2MBR, err)
		}
	}
	return rt.Run("xorrisofs", xorrisofsArgs(o, tree, out, rt.SourceEpoch)...)
}

// xorrisofsArgs is osbuild's xorrisofs command line, argument for
// argument, for the tree at tree and the ISO at out; with a source epoch,
// every file's and directory's dates are set to it, so the ISO does not
// depend on when the tree's files were made.
func xorrisofsArgs(o *xorrisofsOptions, tree, out string, epoch *int64) []string {
	var args []string
	switch {
	case o.ChrpBoot != nil:
		args = append(isoIdentity(o, []string{"-verbose", "-rock", "-joliet"}), chrpArgs(o)...)
	case o.Grub2MBR != "":
		args = append(isoIdentity(o, []string{"-verbose", "-rock", "-joliet"}), grub2ISOArgs(o, tree)...)
	default:
		args = syslinuxISOArgs(o)
	}
	for _, e := range o.Exclude {
		args = append(args, "-exclude", e)
	}
	if epoch != nil {
		args = append(args, "--set_all_file_dates", "="+strconv.FormatInt(*epoch, 10))
	}
	return append(args, "-o", out, tree)
}

// isoIdentity appends the level and the volume's identification.
func isoIdentity(o *xorrisofsOptions, args []string) []string {
	if o.IsoLevel != 0 {
		args = append(args, "-iso-level", strconv.Itoa(o.IsoLevel))
	}
	args = append(args, "-V", o.VolID)
	for _, f := range []struct{ flag, v string }{{"-sysid", o.SysID}, {"-publisher", o.Pub}, {"-appid", o.AppID}, {"-preparer", o.Prep}} {
		if f.v != "" {
			args = append(args, f.flag, f.v)
		}
	}
	return args
}

func grub2ISOArgs(o *xorrisofsOptions, tree string) []string {
	args := []string{"--grub2-mbr", o.Grub2MBR}
	if o.EFI != "" {
		args = append(args, "-partition_offset", "16", "-appended_part_as_gpt",
			"-append_partition", "2", "C12A7328-F81F-11D2-BA4B-00A0C93EC93B", filepath.Join(tree, strings.TrimLeft(o.EFI, "/")))
	}
	args = append(args, "-iso_mbr_part_type", "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7")
	if b := o.Boot; b != nil {
		args = append(args, "-b", b.Image, "-c", b.Catalog, "--boot-catalog-hide", "-no-emul-boot", "-boot-load-size", "4")
		if !b.NoBootInfo {
			args = append(args, "-boot-info-table", "--grub2-boot-info")
		}
		if o.EFI != "" {
			args = append(args, "-eltorito-alt-boot", "-e", "--interval:appended_partition_2:all::")
		}
	}
	return append(args, "-no-emul-boot")
}

func syslinuxISOArgs(o *xorrisofsOptions) []string {
	args := isoIdentity(o, []string{"-verbose"})
	if o.IsohybridMBR != "" {
		args = append(args, "-isohybrid-mbr", o.IsohybridMBR)
	}
	if b := o.Boot; b != nil {
		args = append(args, "-b", b.Image, "-c", b.Catalog, "--boot-catalog-hide", "-boot-load-size", "4")
		if !b.NoBootInfo {
			args = append(args, "-boot-info-table")
		}
		args = append(args, "-no-emul-boot")
	}
	args = append(args, "-rock", "-joliet")
	if o.EFI != "" {
		args = append(args, "-eltorito-alt-boot", "-e", o.EFI, "-no-emul-boot")
		if o.IsohybridMBR != "" {
			args = append(args, "-isohybrid-gpt-basdat")
		}
	}
	return args
}

func chrpArgs(o *xorrisofsOptions) []string {
	var args []string
	for _, f := range []struct {
		on   bool
		flag string
	}{{o.RationalRock, "-rational-rock"}, {o.UntranslatedFilenames, "-untranslated-filenames"}, {o.FullFilenames, "-full-iso9660-filenames"}} {
		if f.on {
			args = append(args, f.flag)
		}
	}
	if o.VolSet != "" {
		args = append(args, "-volset", o.VolSet, "-volset-size", "1", "-volset-seqno", "1")
	}
	if *o.ChrpBoot {
		args = append(args, "-chrp-boot")
	}
	return args
}
