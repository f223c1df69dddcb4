package stages

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// org.osbuild.isolinux: the BIOS boot loader of an ISO made with
// ISOLINUX, as osbuild makes it: /isolinux with isolinux.bin and the
// modules its menu needs (0755), the splash, isolinux.cfg (osbuild's menu
// byte for byte) and the kernel and initramfs, hard links to
// kernel.dir/vmlinuz and kernel.dir/initrd.img. The files come from the
// data input's /usr/share/syslinux (Fedora's layout) as in osbuild; a
// Debian data tree has them where Debian's isolinux and syslinux-common
// put them, and without them there, they come from the buildroot, which
// has both packages. Debian has no anaconda splash: the menu then has a
// plain background. A kernel.dir/vmlinuz that is a symbolic link (Debian's
// /vmlinuz) is linked as the file it names.
func init() {
	Define(Definition[isolinuxOptions]{Type: "org.osbuild.isolinux", Plan: planIsolinux, Run: runIsolinux})
}

type isolinuxOptions struct {
	Product struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"product"`
	Kernel grubISOKernel `json:"kernel"`
	FIPS   bool          `json:"fips"`
}

func planIsolinux(c *Context, o *isolinuxOptions) (*Plan, error) {
	if err := c.RequireInput("data"); err != nil {
		return nil, err
	}
	if _, err := c.TreePath(manifest.Path{"kernel", "dir"}, o.Kernel.Dir); err != nil {
		return nil, err
	}
	plan := InBuildroot()
	plan.Exec.Tools = []string{"isolinux", "syslinux-common"}
	return plan, nil
}

// isolinuxFile is a file the stage copies into /isolinux: where osbuild
// takes it from in the data tree, and where Debian has it.
type isolinuxFile struct{ name, fedora, debian string }

var isolinuxFiles = []isolinuxFile{
	{"isolinux.bin", "/usr/share/syslinux/isolinux.bin", "/usr/lib/ISOLINUX/isolinux.bin"},
	{"ldlinux.c32", "/usr/share/syslinux/ldlinux.c32", "/usr/lib/syslinux/modules/bios/ldlinux.c32"},
	{"libcom32.c32", "/usr/share/syslinux/libcom32.c32", "/usr/lib/syslinux/modules/bios/libcom32.c32"},
	{"libutil.c32", "/usr/share/syslinux/libutil.c32", "/usr/lib/syslinux/modules/bios/libutil.c32"},
	{"vesamenu.c32", "/usr/share/syslinux/vesamenu.c32", "/usr/lib/syslinux/modules/bios/vesamenu.c32"},
}

const isolinuxSplash = "/usr/share/anaconda/boot/syslinux-splash.png"

func runIsolinux(rt *Runtime, o *isolinuxOptions) error {
	data, err := rt.InputPath("data")
	if err != nil {
		return err
	}
	if splash := path.Join(data, isolinuxSplash); exists(splash) {
		if err := rt.copyFromBuildroot(splash, "/isolinux/splash.png"); err != nil {
			return err
		}
	} else {
		rt.Logf("the data input has no %s: the menu has a plain background", isolinuxSplash)
	}
	for _, f := range isolinuxFiles {
		if err := rt.installIsolinuxFile(data, f); err != nil {
			return err
		}
	}
	if err := rt.WriteFile("/isolinux/isolinux.cfg", []byte(isolinuxMenu(o)), 0o644); err != nil {
		return err
	}
	for _, name := range []string{"vmlinuz", "initrd.img"} {
		if err := rt.linkKernelFile(o.Kernel.Dir, name); err != nil {
			return err
		}
	}
	return nil
}

// installIsolinuxFile copies f from the first place that has it: the data
// tree as osbuild has it, the data tree as Debian has it, the buildroot.
func (rt *Runtime) installIsolinuxFile(data string, f isolinuxFile) error {
	src := ""
	for _, p := range []string{path.Join(data, f.fedora), path.Join(data, f.debian), f.debian} {
		if exists(p) {
			src = p
			break
		}
	}
	if src == "" {
		return fmt.Errorf("%s: neither the data input (%s or %s) nor the buildroot (%s) has it", f.name, f.fedora, f.debian, f.debian)
	}
	dst := path.Join("/isolinux", f.name)
	if err := rt.copyFromBuildroot(src, dst); err != nil {
		return err
	}
	to, err := rt.Path(dst)
	if err != nil {
		return err
	}
	return os.Chmod(to, 0o755)
}

// linkKernelFile hard-links kernel.dir/name as /isolinux/name.
func (rt *Runtime) linkKernelFile(dir, name string) error {
	src, err := rt.Path(path.Join("/", dir, name))
	if err != nil {
		return err
	}
	if _, err := os.Stat(src); errors.Is(err, fs.ErrNotExist) {
		return rt.OptionError(manifest.Path{"kernel", "dir"}, "%s is not in the tree: the stage links kernel.dir's vmlinuz and initrd.img into /isolinux (copy them there in an earlier stage)", path.Join("/", dir, name))
	}
	dst, err := rt.Path(path.Join("/isolinux", name))
	if err != nil {
		return err
	}
	return os.Link(src, dst)
}

// isolinuxMenu is osbuild's isolinux.cfg for o.
func isolinuxMenu(o *isolinuxOptions) string {
	vars := map[string]string{
		"product": o.Product.Name, "version": o.Product.Version,
		"cmdline": strings.Join(o.Kernel.Opts, " "), "fipsentry": "",
	}
	if o.FIPS {
		vars["fipsentry"] = safeSubstitute(isolinuxFIPSEntry, vars)
	}
	return safeSubstitute(isolinuxMenuTemplate, vars)
}
