package stages

import (
	"fmt"
	"strings"
)

// searchCmd is GRUB's search for a filesystem, by UUID or label, setting
// variable v.
func searchCmd(fs grubFS, v string) string {
	if fs.UUID != "" {
		return fmt.Sprintf("search --no-floppy --fs-uuid --set=%s %s", v, fs.UUID)
	}
	return fmt.Sprintf("search --no-floppy --label --set=%s %s", v, fs.Label)
}

// kernelRoot is the root= argument for a filesystem.
func kernelRoot(fs grubFS) string {
	if fs.UUID != "" {
		return "UUID=" + fs.UUID
	}
	return "LABEL=" + fs.Label
}

// ignitionSnippet reads ignition.firstboot from the /boot filesystem, as
// osbuild's (and Fedora CoreOS's) grub.cfg does: its presence adds
// ignition.firstboot and the network arguments it sets to the command line.
const ignitionSnippet = `
# Ignition: first boot when /ignition.firstboot exists on the boot filesystem
set ignition_firstboot=""
if [ -f "${prefix_root}/ignition.firstboot" ]; then
    set ignition_network_kcmdline=""
    source "${prefix_root}/ignition.firstboot"
    set ignition_firstboot="ignition.firstboot ${ignition_network_kcmdline}"
fi
`

// greenbootSnippet counts boots down in grubenv while boot_success is 0,
// falling back to entry 1 when the count runs out, as osbuild's does.
const greenbootSnippet = `
# greenboot: boot counting, with a fallback to the previous entry
insmod increment
if [ -n "${boot_counter}" -a "${boot_success}" = "0" ]; then
  if [ "${boot_counter}" = "0" -o "${boot_counter}" = "-1" ]; then
    set default=1
    set boot_counter=-1
  else
    decrement boot_counter
  fi
  save_env boot_counter
fi
set boot_success=0
save_env boot_success
`

func grubConfig(o *grub2Options, kernels []string) string {
	var b strings.Builder
	b.WriteString("# GRUB configuration written by osbuildkit (org.osbuild.grub2).\n\n")
	if o.SavedEntry != "" {
		b.WriteString("load_env\nset default=\"${saved_entry}\"\n")
	} else {
		fmt.Fprintf(&b, "set default=%q\n", cmp(o.Config.Default, "0"))
	}
	fmt.Fprintf(&b, "set timeout=%d\n", grubTimeout(o))
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
	bootFS, prefix := o.root(), "/boot"
	if bfs := o.boot(); bfs != nil {
		bootFS, prefix = *bfs, ""
	}
	b.WriteString(searchCmd(bootFS, "root") + "\n")
	extra := ""
	if o.Ignition {
		fmt.Fprintf(&b, "set prefix_root=\"($root)%s\"\n%s", prefix, ignitionSnippet)
		extra = " ${ignition_firstboot}"
	}
	if o.Greenboot {
		b.WriteString(greenbootSnippet)
	}
	b.WriteString("\n")
	distributor := cmp(o.Config.Distributor, "Debian GNU/Linux")
	for _, k := range kernels {
		fmt.Fprintf(&b, "menuentry '%s, with Linux %s' --class debian --class gnu-linux --class gnu --class os {\n", distributor, k)
		fmt.Fprintf(&b, "\tinsmod gzio\n\techo 'Loading Linux %s ...'\n", k)
		fmt.Fprintf(&b, "\tlinux %s/vmlinuz-%s root=%s ro %s%s\n", prefix, k, kernelRoot(o.root()), o.KernelOpts, extra)
		fmt.Fprintf(&b, "\techo 'Loading initial ramdisk ...'\n\tinitrd %s/initrd.img-%s\n}\n", prefix, k)
	}
	return b.String()
}

// grubTimeout is config.timeout, 0 by default as in osbuild.
func grubTimeout(o *grub2Options) int {
	if o.Config.Timeout != nil {
		return *o.Config.Timeout
	}
	return 0
}

func grubDefaults(o *grub2Options) string {
	var b strings.Builder
	b.WriteString("# Written by osbuildkit; read by update-grub.\n")
	fmt.Fprintf(&b, "GRUB_DEFAULT=%s\nGRUB_TIMEOUT=%d\nGRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`\n", map[bool]string{true: "saved", false: "0"}[o.SavedEntry != ""], grubTimeout(o))
	fmt.Fprintf(&b, "GRUB_CMDLINE_LINUX_DEFAULT=\"\"\nGRUB_CMDLINE_LINUX=%q\n", o.KernelOpts)
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
	if o.Config.TimeoutStyle != "" {
		fmt.Fprintf(&b, "GRUB_TIMEOUT_STYLE=%s\n", o.Config.TimeoutStyle)
	}
	if v := o.Config.DisableRecovery; v != nil {
		fmt.Fprintf(&b, "GRUB_DISABLE_RECOVERY=%t\n", *v)
	}
	if v := o.Config.DisableSubmenu; v != nil {
		fmt.Fprintf(&b, "GRUB_DISABLE_SUBMENU=%t\n", *v)
	}
	return b.String()
}

// grubEnv is GRUB's environment block as osbuild writes it: kernelopts
// (unless write_cmdline is false) and saved_entry, padded with '#' to
// 1024 bytes.
func grubEnv(o *grub2Options) string {
	env := "# GRUB Environment Block\n"
	if o.WriteCmdline == nil || *o.WriteCmdline {
		env += fmt.Sprintf("kernelopts=root=%s %s\n", kernelRoot(o.root()), o.KernelOpts)
	}
	if o.SavedEntry != "" {
		env += "saved_entry=" + o.SavedEntry + "\n"
	}
	if len(env) < 1024 {
		env += strings.Repeat("#", 1024-len(env))
	}
	return env
}

// cmp is v, or def when v is empty.
func cmp(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
