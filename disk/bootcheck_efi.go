package disk

import (
	"fmt"

	"github.com/osbuildkit/osbuildkit/internal/elfarch"
)

// removableEFI are the file names, in an ESP's EFI/BOOT, that UEFI
// firmware boots when it has no boot entry, by Debian architecture.
var removableEFI = map[string]string{
	"amd64": "BOOTX64.EFI", "arm64": "BOOTAA64.EFI", "i386": "BOOTIA32.EFI", "riscv64": "BOOTRISCV64.EFI",
}

// RemovableEFI is the removable-media EFI binary's name for arch, or "".
func RemovableEFI(arch string) string { return removableEFI[arch] }

// treePrograms are programs nearly every bootable tree has, whose ELF
// header says the tree's architecture (dpkg first, as the stages read it).
var treePrograms = []string{"/usr/bin/dpkg", "/usr/lib/systemd/systemd", "/usr/bin/env"}

// removableEFIPath is the removable-media EFI binary's path for the
// tree's architecture, or the common ones when the tree does not say.
func (t treeView) removableEFIPath() string {
	for _, p := range treePrograms {
		if name := RemovableEFI(elfarch.Of(t.path(p))); name != "" {
			return "EFI/BOOT/" + name
		}
	}
	return "EFI/BOOT/BOOTX64.EFI (BOOTAA64.EFI on arm64)"
}

// efiBinaryMissing says that the ESP at mountpoint (partition n) lacks
// the removable-media binary; other, when set, is a vendor binary it has.
func (t treeView) efiBinaryMissing(n int, mountpoint, other string) string {
	want := t.removableEFIPath()
	if other != "" {
		return fmt.Sprintf("partition %d is an EFI system partition with %s but no %s: firmware without a boot entry for it (every new machine) finds nothing to boot; set grub2's uefi option", n, other, want)
	}
	return fmt.Sprintf("partition %d is an EFI system partition, but %s has no %s, so UEFI firmware cannot boot the disk: set grub2's uefi option", n, mountpoint, want)
}
