//go:build integration

package integration

import (
	"path/filepath"
	"testing"
)

// The live ISO (images/debian-bookworm-live-iso.json) is made by osbuild's
// ISO stages: a squashfs of the tree, GRUB's El Torito image and BIOS menu,
// the EFI image (Debian's signed shim and GRUB CD image, osbuild's UEFI
// menu, a FAT image filled without privileges), a hybrid ISO with its MD5
// implanted. It boots under SeaBIOS and under OVMF, from a CD and, written
// to a disk, from the disk, to a login on the serial console, the root
// being live-boot's overlay on the squashfs from the ISO.
func TestLiveISOBoots(t *testing.T) {
	out := t.TempDir()
	run(t, 0, cli, "build", "--progress", "plain", "--output-directory", out, "--export", "iso", filepath.Join(repo, "images/debian-bookworm-live-iso.json"))
	iso := filepath.Join(out, "iso", "debian-live.iso")
	wantContains(t, "checkisomd5", run(t, 0, "checkisomd5", "--verbose", iso), "The media check is complete, the result is: PASS")
	wantContains(t, "El Torito", run(t, 0, "xorriso", "-indev", iso, "-report_el_torito", "plain"), "El Torito boot img :   1  BIOS  y   none")
	wantContains(t, "El Torito", run(t, 0, "xorriso", "-indev", iso, "-report_el_torito", "plain"), "El Torito boot img :   2  UEFI  y   none")
	for _, boot := range []struct {
		name string
		args []string
	}{{"bios-cd", []string{"--bios", "--cdrom"}}, {"bios-disk", []string{"--bios"}}, {"uefi-cd", []string{"--cdrom"}}, {"uefi-disk", nil}} {
		t.Run(boot.name, func(t *testing.T) {
			args := append(append([]string{"vm"}, boot.args...), "--format", "raw", iso)
			v := startVM(t, "live ISO "+boot.name, args)
			v.login(t, "debian", "debian")
			if got := v.run(t, "findmnt -n -o FSTYPE /"); got != "overlay" {
				t.Errorf("/ is %q, want live-boot's overlay", got)
			}
			wantContains(t, "the squashfs", v.run(t, "findmnt -n -o SOURCE,FSTYPE /run/live/rootfs/filesystem.squashfs"), "squashfs")
			wantContains(t, "the medium", v.run(t, "findmnt -n -o FSTYPE /run/live/medium"), "iso9660")
		})
	}
}
