package stages

import (
	"fmt"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// org.osbuild.grub2.iso: the UEFI side of a GRUB ISO, the tree an EFI
// El Torito image (efiboot.img) is made of, as osbuild makes it: for each
// of architectures, shim as EFI/BOOT/BOOT<ARCH>.EFI, MokManager and GRUB's
// CD image as grub<arch>.efi, copied from the buildroot's
// /boot/efi/EFI/<vendor>/; GRUB's font; EFI/BOOT/grub.cfg, the menu osbuild
// writes byte for byte (BOOT.cfg as well for IA32). A Debian buildroot has
// no /boot/efi: the binaries then come from where Debian's signed packages
// put them (shim-signed, shim-helpers-amd64-signed and
// grub-efi-amd64-signed, added to the host
// buildroot for X64).
func init() {
	Define(Definition[grub2ISOEFIOptions]{Type: "org.osbuild.grub2.iso", Plan: planGrub2ISOEFI, Run: runGrub2ISOEFI})
}

type grub2ISOEFIOptions struct {
	grub2ISOOptions
	Architectures []string `json:"architectures"`
	Vendor        string   `json:"vendor"`
}

func planGrub2ISOEFI(c *Context, o *grub2ISOEFIOptions) (*Plan, error) {
	if err := checkGrub2ISO(c, &o.grub2ISOOptions); err != nil {
		return nil, err
	}
	if o.Vendor == "" {
		return nil, c.OptionError(manifest.Path{"vendor"}, "vendor is missing: osbuild's stage fails without it (the directory below /boot/efi/EFI, e.g. debian)")
	}
	if len(o.Architectures) == 0 {
		return nil, c.OptionError(manifest.Path{"architectures"}, "architectures is missing: osbuild's stage fails without it (e.g. [\"X64\"])")
	}
	plan := InBuildroot()
	plan.Exec.Tools = []string{"grub-common"}
	if slices.ContainsFunc(o.Architectures, func(a string) bool { return strings.EqualFold(a, "x64") }) {
		plan.Exec.Tools = append(plan.Exec.Tools, "shim-signed", "shim-helpers-amd64-signed", "grub-efi-amd64-signed")
	}
	return plan, nil
}

// efiBinary is one of the binaries grub2.iso copies: its name in
// /boot/efi/EFI/<vendor>/ and in EFI/BOOT.
type efiBinary struct{ src, dst string }

// efiBinaries are osbuild's copies for arch (lower case).
func efiBinaries(arch string) []efiBinary {
	return []efiBinary{
		{"shim" + arch + ".efi", "BOOT" + strings.ToUpper(arch) + ".EFI"},
		{"mm" + arch + ".efi", "mm" + arch + ".efi"},
		{"gcd" + arch + ".efi", "grub" + arch + ".efi"},
	}
}

// debianEFIBinary is where Debian's packages put what a Fedora buildroot
// has in /boot/efi/EFI/<vendor>/: signed shim and MokManager (shim-signed)
// and GRUB's signed CD image (grub-efi-amd64-signed).
func debianEFIBinary(name string) string {
	if strings.HasPrefix(name, "gcd") {
		arch := strings.TrimSuffix(strings.TrimPrefix(name, "gcd"), ".efi")
		grubArch := map[string]string{"x64": "x86_64", "aa64": "arm64", "ia32": "i386"}[arch]
		return "/usr/lib/grub/" + grubArch + "-efi-signed/" + name + ".signed"
	}
	return "/usr/lib/shim/" + name + ".signed"
}

func runGrub2ISOEFI(rt *Runtime, o *grub2ISOEFIOptions) error {
	for _, arch := range o.Architectures {
		for _, b := range efiBinaries(strings.ToLower(arch)) {
			src := path.Join("/boot/efi/EFI", o.Vendor, b.src)
			if _, err := os.Stat(src); err != nil {
				if _, derr := os.Stat(debianEFIBinary(b.src)); derr != nil {
					return fmt.Errorf("%s: neither %s nor Debian's %s is in the buildroot", b.src, src, debianEFIBinary(b.src))
				}
				src = debianEFIBinary(b.src)
			}
			if err := rt.copyFromBuildroot(src, path.Join("/EFI/BOOT", b.dst)); err != nil {
				return err
			}
		}
	}
	if err := rt.copyFromBuildroot("/usr/share/grub/unicode.pf2", "/EFI/BOOT/fonts/unicode.pf2"); err != nil {
		return err
	}
	menu := []byte(grub2ISOMenu(&o.grub2ISOOptions, true))
	if err := rt.WriteFile("/EFI/BOOT/grub.cfg", menu, 0o644); err != nil {
		return err
	}
	if slices.Contains(o.Architectures, "IA32") {
		return rt.WriteFile("/EFI/BOOT/BOOT.cfg", menu, 0o644)
	}
	return nil
}
