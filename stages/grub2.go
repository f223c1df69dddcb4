package stages

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
)

// org.osbuild.grub2: configure GRUB 2 the Debian way, with osbuild's
// options. It writes /boot/grub/grub.cfg with an entry per installed kernel
// (newest first), /etc/default/grub (so update-grub in the booted system
// keeps the setup; unless write_defaults is false) and /boot/grub/grubenv
// (osbuild's: kernelopts unless write_cmdline is false, saved_entry). The
// root is "rootfs" (by UUID or label), else root_fs_uuid; /boot the same
// with "bootfs"/boot_fs_uuid. "legacy" (true, or a platform such as
// "i386-pc") puts that platform's modules in /boot/grub/<platform>; with
// "uefi" it builds GRUB for x86_64-efi (arm64-efi for an arm64 tree) into
// the ESP in the tree (/boot/efi/EFI/<vendor>/grubx64.efi and the removable
// path EFI/BOOT/BOOTX64.EFI; grubaa64.efi, BOOTAA64.EFI; with "install", EFI binaries in efi_src_dir in the
// buildroot are copied instead, as osbuild does) with a small grub.cfg that
// loads /boot/grub/grub.cfg, so BIOS and UEFI share one configuration.
// "ignition" and "greenboot" add osbuild's grub.cfg snippets, which Debian
// has nothing to act on (rule NoEffectHere warns); compat_version changes
// nothing here (osbuild's template has no unset variables to drop). Nothing
// probes devices: the disk assemblers put the boot sector in place.
//
// GRUB's modules come from the tree when it has them (grub-efi-amd64-bin,
// grub-pc-bin), else from the buildroot.
//
// Without kernel_opts, it boots with the kernel_opts of the last
// org.osbuild.kernel-cmdline stage before it in the pipeline.
func init() {
	Define(Definition[grub2Options]{Type: "org.osbuild.grub2", Plan: planGrub2, Run: runGrub2})
}

type grub2Options struct {
	RootFS        *grubFS     `json:"rootfs"`
	BootFS        *grubFS     `json:"bootfs"`
	RootFSUUID    string      `json:"root_fs_uuid"`
	BootFSUUID    string      `json:"boot_fs_uuid"`
	KernelOpts    string      `json:"kernel_opts"`
	Legacy        any         `json:"legacy"`
	UEFI          *grub2UEFI  `json:"uefi"`
	SavedEntry    string      `json:"saved_entry"`
	WriteDefaults *bool       `json:"write_defaults"`
	WriteCmdline  *bool       `json:"write_cmdline"`
	Ignition      bool        `json:"ignition"`
	Greenboot     bool        `json:"greenboot"`
	CompatVersion *float64    `json:"compat_version"`
	Config        grub2Config `json:"config"`
}

// grubFS names a filesystem by UUID or label.
type grubFS struct {
	UUID  string `json:"uuid"`
	Label string `json:"label"`
}

type grub2UEFI struct {
	Vendor    string `json:"vendor"`
	Install   bool   `json:"install"`
	Unified   bool   `json:"unified"`
	EFISrcDir string `json:"efi_src_dir"`
}

// UnmarshalJSON ignores keys osbuild's schema lets through unchecked.
func (f *grubFS) UnmarshalJSON(b []byte) error {
	type plain grubFS
	return json.Unmarshal(b, (*plain)(f))
}

// UnmarshalJSON ignores keys osbuild's schema lets through unchecked.
func (u *grub2UEFI) UnmarshalJSON(b []byte) error {
	type plain grub2UEFI
	return json.Unmarshal(b, (*plain)(u))
}

type grub2Config struct {
	Default         string   `json:"default"`
	Timeout         *int     `json:"timeout"`
	TimeoutStyle    string   `json:"timeout_style"`
	Terminal        []string `json:"terminal"`
	TerminalInput   []string `json:"terminal_input"`
	TerminalOutput  []string `json:"terminal_output"`
	Serial          string   `json:"serial"`
	Distributor     string   `json:"distributor"`
	DisableRecovery *bool    `json:"disable_recovery"`
	DisableSubmenu  *bool    `json:"disable_submenu"`
}

// legacyPlatform is the BIOS platform "legacy" asks for, or "".
func (o *grub2Options) legacyPlatform() string {
	switch v := o.Legacy.(type) {
	case bool:
		if v {
			return "i386-pc"
		}
	case string:
		return v
	}
	return ""
}

// root and boot are the filesystems to boot: rootfs, else root_fs_uuid;
// bootfs, else boot_fs_uuid, else none (/boot is on the root).
func (o *grub2Options) root() grubFS {
	if o.RootFS != nil {
		return *o.RootFS
	}
	return grubFS{UUID: o.RootFSUUID}
}

func (o *grub2Options) boot() *grubFS {
	if o.BootFS != nil {
		return o.BootFS
	}
	if o.BootFSUUID != "" {
		return &grubFS{UUID: o.BootFSUUID}
	}
	return nil
}

func planGrub2(c *Context, o *grub2Options) (*Plan, error) {
	if o.legacyPlatform() == "" && o.UEFI == nil {
		return nil, c.OptionError(nil, "set \"legacy\" (BIOS) and/or \"uefi\": GRUB needs a platform to boot")
	}
	plan := InBuildroot()
	if o.KernelOpts == "" {
		if opts := handedKernelOpts(c); opts != "" {
			plan.Exec.Options = withOption(c.Options, "kernel_opts", opts)
		}
	}
	return plan, nil
}

// handedKernelOpts is the kernel command line an org.osbuild.kernel-cmdline
// stage earlier in the pipeline recorded, without root= (grub2 names the
// root itself).
func handedKernelOpts(c *Context) string {
	for i := c.Index - 1; i >= 0; i-- {
		st := c.Pipeline.Stages[i]
		if st.Type != "org.osbuild.kernel-cmdline" {
			continue
		}
		opts, _ := st.Options["kernel_opts"].(string)
		var keep []string
		for _, f := range strings.Fields(opts) {
			if !strings.HasPrefix(f, "root=") {
				keep = append(keep, f)
			}
		}
		return strings.Join(keep, " ")
	}
	return ""
}

func runGrub2(rt *Runtime, o *grub2Options) error {
	kernels, err := installedKernels(rt)
	if err != nil {
		return err
	}
	if err := rt.WriteFile("/boot/grub/grub.cfg", []byte(grubConfig(o, kernels)), 0o600); err != nil {
		return err
	}
	if o.WriteDefaults == nil || *o.WriteDefaults {
		if err := rt.WriteFile("/etc/default/grub", []byte(grubDefaults(o)), 0o644); err != nil {
			return err
		}
	}
	if err := rt.WriteFile("/boot/grub/grubenv", []byte(grubEnv(o)), 0o644); err != nil {
		return err
	}
	if p := o.legacyPlatform(); p != "" {
		if err := copyGrubModules(rt, p); err != nil {
			return err
		}
	}
	if o.UEFI != nil {
		return installEFI(rt, o)
	}
	return nil
}

// installedKernels lists the versions in /boot/vmlinuz-*, newest first.
func installedKernels(rt *Runtime) ([]string, error) {
	boot, err := rt.Path("/boot")
	if err != nil {
		return nil, err
	}
	files, _ := filepath.Glob(filepath.Join(boot, "vmlinuz-*"))
	var versions []string
	for _, f := range files {
		versions = append(versions, strings.TrimPrefix(filepath.Base(f), "vmlinuz-"))
	}
	if len(versions) == 0 {
		return nil, errors.New("no kernel in /boot: install one (linux-image-amd64) before org.osbuild.grub2")
	}
	sortVersions(versions)
	return versions, nil
}
