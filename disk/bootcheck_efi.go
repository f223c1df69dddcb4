package disk

import (
	"debug/elf"
	"fmt"
)

// removableEFI are the removable-media paths UEFI firmware boots when it
// has no boot entry, by the machine the tree's programs are built for.
var removableEFI = map[elf.Machine]string{
	elf.EM_X86_64:  "EFI/BOOT/BOOTX64.EFI",
	elf.EM_AARCH64: "EFI/BOOT/BOOTAA64.EFI",
	elf.EM_386:     "EFI/BOOT/BOOTIA32.EFI",
	elf.EM_RISCV:   "EFI/BOOT/BOOTRISCV64.EFI",
}

// treePrograms are programs nearly every bootable tree has, whose ELF
// header says the tree's architecture.
var treePrograms = []string{"/usr/lib/systemd/systemd", "/usr/bin/env", "/usr/bin/dash", "/bin/sh"}

// removableEFIPath is the removable-media EFI binary's path for the
// tree's architecture, or every known one when the tree does not say.
func (t treeView) removableEFIPath() string {
	for _, p := range treePrograms {
		f, err := elf.Open(t.path(p))
		if err != nil {
			continue
		}
		m := f.Machine
		f.Close()
		if name, ok := removableEFI[m]; ok {
			return name
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
