package stages

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// org.osbuild.grub2: configure GRUB 2 the Debian way. It writes
// /boot/grub/grub.cfg with an entry per installed kernel (newest first) and
// /etc/default/grub, so update-grub in the booted system keeps the setup.
// With "legacy" it puts the BIOS (i386-pc) modules in /boot/grub/i386-pc;
// with "uefi" it builds GRUB for x86_64-efi into the ESP in the tree
// (/boot/efi/EFI/<vendor>/grubx64.efi and the removable path
// EFI/BOOT/BOOTX64.EFI) with a small grub.cfg that loads /boot/grub/grub.cfg,
// so BIOS and UEFI share one configuration ("unified"). Nothing probes
// devices: the disk assemblers put the boot sector in place.
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
	RootFSUUID string `json:"root_fs_uuid"`
	BootFSUUID string `json:"boot_fs_uuid"`
	KernelOpts string `json:"kernel_opts"`
	Legacy     any    `json:"legacy"`
	UEFI       *struct {
		Vendor  string `json:"vendor"`
		Install bool   `json:"install"`
		Unified bool   `json:"unified"`
	} `json:"uefi"`
	SavedEntry    string      `json:"saved_entry"`
	WriteDefaults *bool       `json:"write_defaults"`
	Config        grub2Config `json:"config"`
}

type grub2Config struct {
	Default        string   `json:"default"`
	Timeout        *int     `json:"timeout"`
	TimeoutStyle   string   `json:"timeout_style"`
	Terminal       []string `json:"terminal"`
	TerminalInput  []string `json:"terminal_input"`
	TerminalOutput []string `json:"terminal_output"`
	Serial         string   `json:"serial"`
	Cmdline        string   `json:"cmdline"`
	Distributor    string   `json:"distributor"`
}

func (o *grub2Options) legacy() bool {
	switch v := o.Legacy.(type) {
	case bool:
		return v
	case string:
		return v != ""
	}
	return false
}

func planGrub2(c *Context, o *grub2Options) (*Plan, error) {
	if !o.legacy() && o.UEFI == nil {
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
	cmdline := o.KernelOpts
	if o.Config.Cmdline != "" {
		cmdline = strings.TrimSpace(cmdline + " " + o.Config.Cmdline)
	}
	cfg := grubConfig(o, kernels, cmdline)
	if err := rt.WriteFile("/boot/grub/grub.cfg", []byte(cfg), 0o600); err != nil {
		return err
	}
	if o.WriteDefaults == nil || *o.WriteDefaults {
		if err := rt.WriteFile("/etc/default/grub", []byte(grubDefaults(o, cmdline)), 0o644); err != nil {
			return err
		}
	}
	if o.SavedEntry != "" {
		env, err := rt.Path("/boot/grub/grubenv")
		if err != nil {
			return err
		}
		if err := rt.Run("grub-editenv", env, "set", "saved_entry="+o.SavedEntry); err != nil {
			return err
		}
	}
	if o.legacy() {
		if err := copyGrubModules(rt, "i386-pc"); err != nil {
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

func grubConfig(o *grub2Options, kernels []string, cmdline string) string {
	var b strings.Builder
	b.WriteString("# GRUB configuration written by osbuildkit (org.osbuild.grub2).\n\n")
	timeout := 1
	if o.Config.Timeout != nil {
		timeout = *o.Config.Timeout
	}
	def := "0"
	if o.Config.Default != "" {
		def = o.Config.Default
	}
	if o.SavedEntry != "" {
		b.WriteString("load_env\nset default=\"${saved_entry}\"\n")
	} else {
		fmt.Fprintf(&b, "set default=%q\n", def)
	}
	fmt.Fprintf(&b, "set timeout=%d\n", timeout)
	if o.Config.TimeoutStyle != "" {
		fmt.Fprintf(&b, "set timeout_style=%s\n", o.Config.TimeoutStyle)
	}
	if o.Config.Serial != "" {
		b.WriteString(o.Config.Serial + "\n")
	}
	in, out := o.Config.TerminalInput, o.Config.TerminalOutput
	if len(o.Config.Terminal) > 0 {
		in, out = o.Config.Terminal, o.Config.Terminal
	}
	if len(in) > 0 {
		fmt.Fprintf(&b, "terminal_input %s\n", strings.Join(in, " "))
	}
	if len(out) > 0 {
		fmt.Fprintf(&b, "terminal_output %s\n", strings.Join(out, " "))
	}
	b.WriteString("insmod part_gpt\ninsmod part_msdos\ninsmod ext2\ninsmod xfs\ninsmod btrfs\n")
	bootUUID, prefix := o.RootFSUUID, "/boot"
	if o.BootFSUUID != "" {
		bootUUID, prefix = o.BootFSUUID, ""
	}
	fmt.Fprintf(&b, "search --no-floppy --fs-uuid --set=root %s\n\n", bootUUID)
	distributor := "Debian GNU/Linux"
	if o.Config.Distributor != "" {
		distributor = o.Config.Distributor
	}
	for _, k := range kernels {
		fmt.Fprintf(&b, "menuentry '%s, with Linux %s' --class debian --class gnu-linux --class gnu --class os {\n", distributor, k)
		fmt.Fprintf(&b, "\tinsmod gzio\n\techo 'Loading Linux %s ...'\n", k)
		fmt.Fprintf(&b, "\tlinux %s/vmlinuz-%s root=UUID=%s ro %s\n", prefix, k, o.RootFSUUID, cmdline)
		fmt.Fprintf(&b, "\techo 'Loading initial ramdisk ...'\n\tinitrd %s/initrd.img-%s\n}\n", prefix, k)
	}
	return b.String()
}

func grubDefaults(o *grub2Options, cmdline string) string {
	timeout := 1
	if o.Config.Timeout != nil {
		timeout = *o.Config.Timeout
	}
	var b strings.Builder
	b.WriteString("# Written by osbuildkit; read by update-grub.\n")
	fmt.Fprintf(&b, "GRUB_DEFAULT=%s\nGRUB_TIMEOUT=%d\nGRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`\n", map[bool]string{true: "saved", false: "0"}[o.SavedEntry != ""], timeout)
	fmt.Fprintf(&b, "GRUB_CMDLINE_LINUX_DEFAULT=\"\"\nGRUB_CMDLINE_LINUX=%q\n", cmdline)
	term := o.Config.Terminal
	if len(term) == 0 {
		term = o.Config.TerminalOutput
	}
	if len(term) > 0 {
		fmt.Fprintf(&b, "GRUB_TERMINAL=%q\n", strings.Join(term, " "))
	}
	if o.Config.Serial != "" {
		fmt.Fprintf(&b, "GRUB_SERIAL_COMMAND=%q\n", o.Config.Serial)
	}
	return b.String()
}

// grubModuleDir finds GRUB's modules for a platform: the tree's, else the
// buildroot's.
func grubModuleDir(rt *Runtime, platform string) (string, error) {
	inTree, err := rt.Path("/usr/lib/grub/" + platform)
	if err != nil {
		return "", err
	}
	for _, dir := range []string{inTree, "/usr/lib/grub/" + platform} {
		if _, err := os.Stat(filepath.Join(dir, "normal.mod")); err == nil {
			return dir, nil
		}
	}
	pkg := map[string]string{"i386-pc": "grub-pc-bin", "x86_64-efi": "grub-efi-amd64-bin"}[platform]
	return "", fmt.Errorf("no GRUB modules for %s: install %s in the tree or the buildroot", platform, pkg)
}

// copyGrubModules puts a platform's modules in /boot/grub/<platform>, where
// GRUB loads them from at boot.
func copyGrubModules(rt *Runtime, platform string) error {
	src, err := grubModuleDir(rt, platform)
	if err != nil {
		return err
	}
	dst, err := rt.Path("/boot/grub/" + platform)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	return rt.Run("cp", "-a", src+"/.", dst)
}

// EFIModules are built into the EFI image, so it boots without loading
// modules from disk.
var EFIModules = []string{"part_gpt", "part_msdos", "fat", "ext2", "xfs", "btrfs", "normal", "configfile", "search",
	"search_fs_uuid", "search_label", "linux", "boot", "echo", "test", "gzio", "all_video", "efi_gop", "serial", "terminal", "loadenv", "chain"}

func installEFI(rt *Runtime, o *grub2Options) error {
	mods, err := grubModuleDir(rt, "x86_64-efi")
	if err != nil {
		return err
	}
	if err := copyGrubModules(rt, "x86_64-efi"); err != nil {
		return err
	}
	vendor := "/boot/efi/EFI/" + o.UEFI.Vendor
	bootUUID, prefix := o.RootFSUUID, "/boot/grub"
	if o.BootFSUUID != "" {
		bootUUID, prefix = o.BootFSUUID, "/grub"
	}
	stub := fmt.Sprintf("search --no-floppy --fs-uuid --set=dev %s\nset prefix=($dev)%s\nexport prefix\nconfigfile $prefix/grub.cfg\n", bootUUID, prefix)
	if err := rt.WriteFile(vendor+"/grub.cfg", []byte(stub), 0o644); err != nil {
		return err
	}
	image, err := rt.Path(vendor + "/grubx64.efi")
	if err != nil {
		return err
	}
	args := append([]string{"-O", "x86_64-efi", "-d", mods, "-p", "/EFI/" + o.UEFI.Vendor, "-o", image}, EFIModules...)
	if err := rt.Run("grub-mkimage", args...); err != nil {
		return err
	}
	data, err := os.ReadFile(image)
	if err != nil {
		return err
	}
	return rt.WriteFile("/boot/efi/EFI/BOOT/BOOTX64.EFI", data, 0o644)
}
