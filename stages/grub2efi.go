package stages

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/osbuildkit/osbuildkit/disk"
)

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
	pkg := map[string]string{"i386-pc": "grub-pc-bin", "x86_64-efi": "grub-efi-amd64-bin", "arm64-efi": "grub-efi-arm64-bin"}[platform]
	if pkg == "" {
		pkg = "GRUB's package for " + platform
	}
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
	vendor := "/boot/efi/EFI/" + o.UEFI.Vendor
	bootFS, prefix := o.root(), "/boot/grub"
	if bfs := o.boot(); bfs != nil {
		bootFS, prefix = *bfs, "/grub"
	}
	stub := fmt.Sprintf("%s\nset prefix=($dev)%s\nexport prefix\nconfigfile $prefix/grub.cfg\n", searchCmd(bootFS, "dev"), prefix)
	if err := rt.WriteFile(vendor+"/grub.cfg", []byte(stub), 0o644); err != nil {
		return err
	}
	if o.UEFI.Install {
		if copied, err := copyEFIData(rt, o.UEFI); copied || err != nil {
			return err
		}
		rt.Logf("%s has no EFI binaries in the buildroot: building GRUB for EFI instead", cmp(o.UEFI.EFISrcDir, "/boot/efi/EFI"))
	}
	return buildEFIImage(rt, vendor, o.UEFI.Vendor)
}

// copyEFIData copies the EFI binaries of efi_src_dir in the buildroot
// (BOOT and the vendor's directory) into the tree's ESP, as osbuild's
// "install" does; false when the buildroot has none.
func copyEFIData(rt *Runtime, u *grub2UEFI) (bool, error) {
	src := cmp(u.EFISrcDir, "/boot/efi/EFI")
	if _, err := os.Stat(filepath.Join(src, "BOOT")); err != nil {
		return false, nil
	}
	for _, d := range []string{"BOOT", u.Vendor} {
		dst, err := rt.Path("/boot/efi/EFI/" + d)
		if err != nil {
			return true, err
		}
		if err := os.MkdirAll(dst, 0o755); err != nil {
			return true, err
		}
		if err := rt.Run("cp", "-rL", filepath.Join(src, d)+"/.", dst); err != nil {
			return true, err
		}
	}
	return true, nil
}

// efiTarget is GRUB's EFI platform for a tree's architecture, the file
// names of its image (the vendor's and the removable path's), and the
// Debian package with its modules.
type efiTarget struct {
	platform, image, removable, pkg string
}

var efiTargets = map[string]efiTarget{
	"amd64": {"x86_64-efi", "grubx64.efi", disk.RemovableEFI("amd64"), "grub-efi-amd64-bin"},
	"arm64": {"arm64-efi", "grubaa64.efi", disk.RemovableEFI("arm64"), "grub-efi-arm64-bin"},
}

// treeEFITarget is the EFI target for the tree's architecture; a tree
// without dpkg is taken as amd64, the builder's own.
func treeEFITarget(rt *Runtime) (efiTarget, error) {
	arch, err := treeArch(rt)
	if err != nil {
		return efiTarget{}, err
	}
	t, ok := efiTargets[cmp(arch, "amd64")]
	if !ok {
		return efiTarget{}, fmt.Errorf("GRUB for EFI is built for amd64 and arm64 trees; this tree is %s", arch)
	}
	return t, nil
}

// buildEFIImage builds GRUB for the tree's EFI platform (x86_64-efi or
// arm64-efi) into the vendor's directory and the removable path
// (EFI/BOOT/BOOTX64.EFI, BOOTAA64.EFI). The buildroot's grub-mkimage
// builds any platform from that platform's modules, so an arm64 image is
// made natively, from the tree's grub-efi-arm64-bin.
func buildEFIImage(rt *Runtime, vendorDir, vendor string) error {
	t, err := treeEFITarget(rt)
	if err != nil {
		return err
	}
	mods, err := grubModuleDir(rt, t.platform)
	if err != nil {
		return err
	}
	if err := copyGrubModules(rt, t.platform); err != nil {
		return err
	}
	image, err := rt.Path(vendorDir + "/" + t.image)
	if err != nil {
		return err
	}
	args := append([]string{"-O", t.platform, "-d", mods, "-p", "/EFI/" + vendor, "-o", image}, EFIModules...)
	if err := rt.Run("grub-mkimage", args...); err != nil {
		return err
	}
	data, err := os.ReadFile(image)
	if err != nil {
		return err
	}
	return rt.WriteFile("/boot/efi/EFI/BOOT/"+t.removable, data, 0o644)
}
