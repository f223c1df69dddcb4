package stages

import (
	"strings"

	"github.com/osbuildkit/osbuildkit/internal/elfarch"
)

// treeArch is the Debian architecture of the tree's programs, read from
// the ELF header of its dpkg (running it could need emulation); "" for a
// tree without dpkg or of another machine.
func treeArch(rt *Runtime) (string, error) {
	p, err := rt.Path("/usr/bin/dpkg")
	if err != nil {
		return "", err
	}
	return elfarch.Of(p), nil
}

// archInName is the Debian architecture a package's name is for
// (linux-image-amd64, grub-efi-arm64-bin), or "".
func archInName(name string) string {
	for _, a := range elfarch.Arches {
		if strings.HasSuffix(name, "-"+a) || strings.Contains(name, "-"+a+"-") {
			return a
		}
	}
	return ""
}
