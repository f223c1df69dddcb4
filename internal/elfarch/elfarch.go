// Package elfarch names the Debian architecture of an ELF program, read
// from its header (running it could need emulation).
package elfarch

import "debug/elf"

// Arches are the Debian architectures of ELF machines (the 64-bit
// little-endian ones where Debian has both widths).
var Arches = map[elf.Machine]string{
	elf.EM_X86_64: "amd64", elf.EM_AARCH64: "arm64", elf.EM_386: "i386", elf.EM_ARM: "armhf",
	elf.EM_PPC64: "ppc64el", elf.EM_S390: "s390x", elf.EM_RISCV: "riscv64", elf.EM_MIPS: "mips64el",
}

// Of is the Debian architecture of the program at path; "" when it is
// not an ELF file or of another machine.
func Of(path string) string {
	f, err := elf.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	return Arches[f.Machine]
}
