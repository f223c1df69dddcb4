package stages

import (
	"fmt"
	"os"
	"path"

	"github.com/osbuildkit/osbuildkit/disk"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// org.osbuild.grub2.iso.legacy: the BIOS side of a GRUB ISO, as osbuild
// makes it: the platform's modules (i386-pc by default, copied from the
// buildroot's /usr/lib/grub/PLATFORM, Debian's grub-pc-bin) into grub2dir
// (boot/grub2 by default, also when empty), and grub2dir/grub.cfg, the
// menu osbuild writes byte for byte: the root found by the ISO's label,
// entries booting kernel.dir/vmlinuz and kernel.dir/initrd.img with
// kernel.opts. The El Torito image that loads it is org.osbuild.grub2.inst
// with core.filesystem iso9660.
func init() {
	Define(Definition[grub2ISOLegacyOptions]{Type: "org.osbuild.grub2.iso.legacy", Plan: planGrub2ISOLegacy, Run: runGrub2ISOLegacy})
}

type grub2ISOLegacyOptions struct {
	grub2ISOOptions
	Grub2Dir string `json:"grub2dir"`
	Platform string `json:"platform"`
}

func planGrub2ISOLegacy(c *Context, o *grub2ISOLegacyOptions) (*Plan, error) {
	if err := checkGrub2ISO(c, &o.grub2ISOOptions); err != nil {
		return nil, err
	}
	if _, err := c.TreePath(manifest.Path{"grub2dir"}, o.dir()); err != nil {
		return nil, err
	}
	plan := InBuildroot()
	plan.Exec.Report = func(disk.BootFinding) (*manifest.Stage, manifest.Path) {
		return c.Stage, c.OptionsPath().Key("kernel").Key("dir")
	}
	if o.platform() == "i386-pc" {
		plan.Exec.Tools = []string{"grub-pc-bin"}
	}
	return plan, nil
}

func (o *grub2ISOLegacyOptions) dir() string {
	if o.Grub2Dir == "" {
		return "boot/grub2"
	}
	return o.Grub2Dir
}

func (o *grub2ISOLegacyOptions) platform() string {
	if o.Platform == "" {
		return "i386-pc"
	}
	return o.Platform
}

func runGrub2ISOLegacy(rt *Runtime, o *grub2ISOLegacyOptions) error {
	dir := "/" + o.dir()
	if err := rt.copyFromBuildroot(path.Join("/usr/lib/grub", o.platform()), path.Join(dir, o.platform())); err != nil {
		return err
	}
	if err := rt.WriteFile(path.Join(dir, "grub.cfg"), []byte(grub2ISOMenu(&o.grub2ISOOptions, false)), 0o644); err != nil {
		return err
	}
	return rt.Report(rt.missingKernelFiles(o.kernelDir()))
}

// missingKernelFiles are the findings for a menu that boots dir/vmlinuz
// and dir/initrd.img when the tree lacks them: osbuild writes the menu
// anyway, and the ISO would not boot.
func (rt *Runtime) missingKernelFiles(dir string) []disk.BootFinding {
	var findings []disk.BootFinding
	for _, name := range []string{"vmlinuz", "initrd.img"} {
		p := path.Join("/", dir, name)
		if full, err := rt.Path(p); err == nil {
			if _, err := os.Stat(full); err == nil {
				continue
			}
		}
		findings = append(findings, disk.BootFinding{Check: disk.CheckKernelPath, Ref: p,
			Message: fmt.Sprintf("the menu boots %s, which is not in the tree when the stage runs: copy it there in an earlier stage, or set kernel.dir", p)})
	}
	return findings
}

// checkGrub2ISO refuses what osbuild's ISO stages fail on while they run:
// without kernel.opts they cannot write the menu.
func checkGrub2ISO(c *Context, o *grub2ISOOptions) error {
	if o.Kernel.Opts == nil {
		return c.OptionError(manifest.Path{"kernel"}, "kernel.opts is missing: osbuild's stage fails without it (give [] for none)")
	}
	return nil
}
