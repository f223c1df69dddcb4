package stages

import (
	"debug/elf"
	"strings"
)

// elfArches are the Debian architectures of ELF machines (the 64-bit
// little-endian ones where Debian has both widths).
var elfArches = map[elf.Machine]string{
	elf.EM_X86_64: "amd64", elf.EM_AARCH64: "arm64", elf.EM_386: "i386", elf.EM_ARM: "armhf",
	elf.EM_PPC64: "ppc64el", elf.EM_S390: "s390x", elf.EM_RISCV: "riscv64", elf.EM_MIPS: "mips64el",
}

// treeArch is the Debian architecture of the tree's programs, read from
// the ELF header of its dpkg (running it could need emulation); "" for a
// tree without dpkg or of another machine.
func treeArch(rt *Runtime) (string, error) {
	p, err := rt.Path("/usr/bin/dpkg")
	if err != nil {
		return "", err
	}
	f, err := elf.Open(p)
	if err != nil {
		return "", nil
	}
	defer f.Close()
	return elfArches[f.Machine], nil
}

// archInName is the Debian architecture a package's name is for
// (linux-image-amd64, grub-efi-arm64-bin), or "".
func archInName(name string) string {
	for _, a := range elfArches {
		if strings.HasSuffix(name, "-"+a) || strings.Contains(name, "-"+a+"-") {
			return a
		}
	}
	return ""
}
