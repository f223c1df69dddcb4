package disk

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/osbuildkit/osbuildkit/internal/securejoin"
)

// BootFinding is something that keeps an assembled disk from booting, as
// the tree and the layout show it. Check names the kind (the Check*
// constants); Ref is what the finding is about (an fstab source, a UUID),
// for locating it in the manifest.
type BootFinding struct {
	Check   string `json:"check"`
	Ref     string `json:"ref,omitempty"`
	Message string `json:"message"`
}

// The kinds of BootFinding.
const (
	CheckInit       = "init"           // no /sbin/init (or init=)
	CheckKernel     = "kernel"         // no kernel or initramfs in /boot
	CheckGRUBRoot   = "grub-root"      // GRUB boots a filesystem the disk lacks
	CheckEFI        = "efi"            // an ESP without a removable-path EFI binary
	CheckBIOS       = "bios"           // a BIOS boot partition without boot code
	CheckFstab      = "fstab"          // an fstab source no partition has
	CheckSerialCons = "serial-console" // GRUB on a serial line, the kernel not
	CheckKernelPath = "kernel-path"    // a menu boots a kernel the tree lacks
)

// BootChecks looks at what the disk needs to boot: an init, a kernel with
// its initramfs, a GRUB configuration that boots the disk's own root
// filesystem, a boot binary for each firmware the disk claims, fstab
// sources the disk has, a kernel console where GRUB's terminal is. A disk
// without a bootloader or a kernel, and an OSTree sysroot (its
// deployments carry their own), are data disks to these checks.
func (d *Disk) BootChecks(tree string) []BootFinding {
	t := treeView(tree)
	cfgs := t.grubConfigs()
	if !d.meantToBoot(t, cfgs) || t.exists("/ostree") {
		return nil
	}
	var out []BootFinding
	out = append(out, t.initChecks(cfgs)...)
	out = append(out, t.kernelChecks()...)
	id := d.identities()
	out = append(out, grubRootChecks(id, cfgs)...)
	out = append(out, d.firmwareChecks(t)...)
	out = append(out, fstabChecks(id, t)...)
	return append(out, serialChecks(cfgs)...)
}

// meantToBoot says whether the disk claims a firmware (an ESP, a BIOS boot
// partition, one marked bootable) or the tree has a bootloader
// configuration or kernel.
func (d *Disk) meantToBoot(t treeView, cfgs map[string]string) bool {
	if len(cfgs) > 0 || d.Bootloader != "" || len(t.glob("/boot/vmlinuz*")) > 0 {
		return true
	}
	for _, p := range d.Partitions {
		if p.Bootable || isESP(p) || strings.EqualFold(p.Type, GPTBIOSBoot) {
			return true
		}
	}
	return false
}

// treeView reads a tree as if it were the root filesystem.
type treeView string

func (t treeView) path(p string) string {
	j, err := securejoin.Join(string(t), p)
	if err != nil {
		return filepath.Join(string(t), filepath.Clean("/"+p))
	}
	return j
}

func (t treeView) exists(p string) bool {
	_, err := os.Stat(t.path(p))
	return err == nil
}

func (t treeView) read(p string) string {
	b, err := os.ReadFile(t.path(p))
	if err != nil {
		return ""
	}
	return string(b)
}

// glob matches a pattern in the tree (its directories are not links).
func (t treeView) glob(pattern string) []string {
	matches, _ := filepath.Glob(filepath.Join(t.path(filepath.Dir(pattern)), filepath.Base(pattern)))
	return matches
}

// grubConfigs are the tree's GRUB configurations by path: Debian's, and
// those on an ESP below /boot/efi.
func (t treeView) grubConfigs() map[string]string {
	out := map[string]string{}
	for _, p := range []string{"/boot/grub/grub.cfg", "/boot/grub2/grub.cfg"} {
		if s := t.read(p); s != "" {
			out[p] = s
		}
	}
	for _, m := range t.glob("/boot/efi/EFI/*/grub.cfg") {
		if b, err := os.ReadFile(m); err == nil {
			out["/boot/efi/"+strings.TrimPrefix(m, t.path("/boot/efi")+"/")] = string(b)
		}
	}
	return out
}

var initArg = regexp.MustCompile(`(?:^|\s)init=(\S+)`)

func (t treeView) initChecks(cfgs map[string]string) []BootFinding {
	init := "/sbin/init"
	for _, l := range linuxLines(cfgs) {
		if m := initArg.FindStringSubmatch(l); m != nil {
			init = m[1]
		}
	}
	fi, err := os.Stat(t.path(init))
	if err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
		return nil
	}
	return []BootFinding{{Check: CheckInit, Ref: init, Message: fmt.Sprintf(
		"the tree has no %s, so the machine stops in the initramfs (\"Target filesystem doesn't have requested %s\"): install an init system (systemd-sysv)", init, init)}}
}

func (t treeView) kernelChecks() []BootFinding {
	kernels := t.glob("/boot/vmlinuz-*")
	if len(kernels) == 0 && len(t.glob("/boot/vmlinuz")) == 0 {
		return []BootFinding{{Check: CheckKernel, Message: "the tree has no kernel in /boot: install one (linux-image-amd64)"}}
	}
	var out []BootFinding
	for _, k := range kernels {
		v := strings.TrimPrefix(filepath.Base(k), "vmlinuz-")
		if len(t.glob("/boot/initrd.img-"+v)) == 0 && len(t.glob("/boot/initramfs-"+v+".img")) == 0 {
			out = append(out, BootFinding{Check: CheckKernel, Ref: v, Message: fmt.Sprintf(
				"the kernel %s has no initramfs in /boot (initrd.img-%s): install an initramfs generator (initramfs-tools or dracut) before the kernel", v, v)})
		}
	}
	return out
}

// linuxLines are the kernel command lines of GRUB's menu entries.
func linuxLines(cfgs map[string]string) []string {
	var out []string
	for _, p := range slices.Sorted(maps.Keys(cfgs)) {
		for _, l := range strings.Split(cfgs[p], "\n") {
			if f := strings.Fields(l); len(f) > 0 && (f[0] == "linux" || f[0] == "linuxefi") {
				out = append(out, strings.Join(f[1:], " "))
			}
		}
	}
	return out
}

func isESP(p Partition) bool {
	return strings.EqualFold(p.Type, GPTESP) || strings.EqualFold(p.Type, "ef") ||
		(p.FS != nil && p.FS.Type == "vfat" && p.FS.Mountpoint == "/boot/efi")
}
