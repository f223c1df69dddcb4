package stages

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// org.osbuild.dracut: an initramfs for each kernel version, made by the
// tree's dracut (Debian's dracut package; /boot/initrd.img-VERSION there)
// with --no-hostonly --force, running in the tree as osbuild runs it in a
// chroot. Options map to dracut's flags as in osbuild: compress,
// modules/add_modules/omit_modules (dracut modules), drivers/add_drivers/
// omit_drivers/force_drivers/filesystems (kernel modules), include
// (--include SRC DST, each object's members in name order), install,
// remove, early_microcode (off unless set), reproducible (on unless
// false; with the pipeline's source-epoch the image is the same byte for
// byte), initoverlayfs (runs initoverlayfs-install instead, which Debian
// does not package), extra (passed as they are).
func init() {
	Define(Definition[dracutOptions]{Type: "org.osbuild.dracut", Plan: planInTree[dracutOptions], Run: runDracut})
}

type dracutOptions struct {
	Kernel         []string            `json:"kernel"`
	Compress       string              `json:"compress"`
	Modules        []string            `json:"modules"`
	AddModules     []string            `json:"add_modules"`
	OmitModules    []string            `json:"omit_modules"`
	Drivers        []string            `json:"drivers"`
	AddDrivers     []string            `json:"add_drivers"`
	OmitDrivers    []string            `json:"omit_drivers"`
	ForceDrivers   []string            `json:"force_drivers"`
	Filesystems    []string            `json:"filesystems"`
	Include        []map[string]string `json:"include"`
	Install        []string            `json:"install"`
	Remove         []string            `json:"remove"`
	EarlyMicrocode bool                `json:"early_microcode"`
	Reproducible   *bool               `json:"reproducible"`
	Initoverlayfs  bool                `json:"initoverlayfs"`
	Extra          []string            `json:"extra"`
}

// UnmarshalJSON ignores keys osbuild's schema lets through unchecked (it
// leaves dracut's options open).
func (o *dracutOptions) UnmarshalJSON(b []byte) error {
	type plain dracutOptions
	return json.Unmarshal(b, (*plain)(o))
}

func runDracut(rt *Runtime, o *dracutOptions) error {
	bin := "dracut"
	if o.Initoverlayfs {
		bin = "initoverlayfs-install"
	}
	args := dracutArgs(o)
	for _, kver := range o.Kernel {
		rt.Logf("building the initramfs for %s", kver)
		if err := rt.Run(bin, append([]string{"--no-hostonly", "--kver", kver}, args...)...); err != nil {
			return fmt.Errorf("%s for kernel %s: %w (is the kernel installed, /lib/modules/%s?)", bin, kver, err, kver)
		}
	}
	return nil
}

// dracutArgs are dracut's flags for the options, in osbuild's order.
func dracutArgs(o *dracutOptions) []string {
	yesno := func(name string, v bool) string {
		if v {
			return "--" + name
		}
		return "--no-" + name
	}
	args := []string{"--force", "-v", "--show-modules",
		yesno("early-microcode", o.EarlyMicrocode), yesno("reproducible", o.Reproducible == nil || *o.Reproducible)}
	if o.Compress != "" {
		args = append(args, "--compress="+o.Compress)
	}
	for _, l := range []struct {
		flag string
		list []string
	}{
		{"--modules", o.Modules}, {"--add", o.AddModules}, {"--omit", o.OmitModules},
		{"--drivers", o.Drivers}, {"--add-drivers", o.AddDrivers}, {"--omit-drivers", o.OmitDrivers},
		{"--force-drivers", o.ForceDrivers}, {"--filesystems", o.Filesystems},
	} {
		if len(l.list) > 0 {
			args = append(args, l.flag, strings.Join(l.list, " "))
		}
	}
	for _, inc := range o.Include {
		for _, src := range slices.Sorted(maps.Keys(inc)) {
			args = append(args, "--include", src, inc[src])
		}
	}
	for _, r := range o.Remove {
		args = append(args, "--remove", r)
	}
	for _, i := range o.Install {
		args = append(args, "--install", i)
	}
	return append(args, o.Extra...)
}
