//go:build integration

package integration

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The live ISO (images/debian-bookworm-live-iso.json) is made by osbuild's
// ISO stages: a squashfs of the tree, GRUB's El Torito image and BIOS menu,
// the EFI image (Debian's signed shim and GRUB CD image, osbuild's UEFI
// menu, a FAT image filled without privileges), a hybrid ISO with its MD5
// implanted. It boots under SeaBIOS and under OVMF, from a CD and, written
// to a disk, from the disk, to a login on the serial console, the root
// being live-boot's overlay on the squashfs from the ISO.
func TestLiveISOBoots(t *testing.T) {
	bootsBesideAnother(t)
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

// A live ISO booted by ISOLINUX (org.osbuild.isolinux, xorrisofs's
// ISOLINUX mode with Debian's isohdpfx.bin): after osbuild's menu's 60 s
// it boots its default entry under SeaBIOS from a CD. A hostname change,
// late in the live tree, runs the tree's last stage, the squashfs,
// isolinux and the ISO again, not the packages; the booted machine has
// the new name. A kernel.dir without the kernel is bad input (exit 2) whose
// log names the option; the --json result attributes it to the stage.
func TestLiveISOWithISOLINUXBoots(t *testing.T) {
	bootsBesideAnother(t)
	first := manifestFile(t, "integration/testdata/live-isolinux.json")
	buildTree(t, first, "iso")
	// A name of this run: a builder that kept its cache from an earlier
	// run (CI's does) would have the renamed tree cached already.
	renamed := fmt.Sprintf("live-%d", time.Now().UnixNano())
	manifest := manifestFile(t, "integration/testdata/live-isolinux.json", func(s string) string {
		return strings.Replace(s, `"hostname": "debian-live"`, `"hostname": "`+renamed+`"`, 1)
	})
	out, log := buildTree(t, manifest, "iso")
	vs := vertices(t, log)
	for step, ran := range map[string]bool{
		"[os] org.osbuild.debootstrap": false, "[os] org.osbuild.apt": false, "[os] org.osbuild.users": false,
		"[os] org.osbuild.hostname": true, "[iso-tree] org.osbuild.squashfs": true, "[iso-tree] org.osbuild.isolinux": true,
		"[iso] org.osbuild.xorrisofs": true,
	} {
		if !vs[step].completed || vs[step].ran != ran {
			t.Errorf("%s: %+v, want ran=%v", step, vs[step], ran)
		}
	}
	iso := filepath.Join(out, "debian-isolinux.iso")
	wantContains(t, "El Torito", run(t, 0, "xorriso", "-indev", iso, "-report_el_torito", "plain"), "El Torito boot img :   1  BIOS  y   none")
	wantContains(t, "checkisomd5", run(t, 0, "checkisomd5", "--verbose", iso), "The media check is complete, the result is: PASS")
	v := startVM(t, "ISOLINUX live ISO", []string{"vm", "--bios", "--cdrom", "--format", "raw", iso})
	v.login(t, "debian", "debian")
	if got := v.run(t, "hostname"); got != renamed {
		t.Errorf("hostname %q, want %q", got, renamed)
	}
	wantContains(t, "the medium", v.run(t, "findmnt -n -o FSTYPE /run/live/medium"), "iso9660")
	// The tree has a source-epoch, so it has no SSH host keys: the first
	// boot made them, and sshd runs.
	if got := v.run(t, "systemctl is-system-running --wait >/dev/null; systemctl is-active ssh-host-keys ssh; ls /etc/ssh/ssh_host_ed25519_key"); got != "active\nactive\n/etc/ssh/ssh_host_ed25519_key" {
		t.Errorf("ssh-host-keys, ssh, the key: %q", got)
	}

	bad := manifestFile(t, "integration/testdata/live-isolinux.json", func(s string) string {
		return strings.Replace(s, `"kernel": {"dir": "/",`, `"kernel": {"dir": "/images/pxeboot",`, 1)
	})
	log = run(t, 2, cli, "build", "--progress", "plain", "--output-directory", t.TempDir(), "--export", "iso", bad)
	wantContains(t, "a kernel.dir without the kernel", log, ".options.kernel.dir: /images/pxeboot/vmlinuz is not in the tree",
		"[iso-tree] stage 3 org.osbuild.isolinux (", "an option names what the tree does not have")
	// osbuild's --json result names the stage, as osbuild's does.
	log = run(t, 2, cli, "build", "--json", "--output-directory", t.TempDir(), "--export", "iso", bad)
	wantContains(t, "the --json result", log, `"type": "org.osbuild.error.stage"`, `"type": "org.osbuild.isolinux"`, `"pipeline": "iso-tree"`)
}
