//go:build integration && slow

package integration

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Tests too slow for make test's budget on CI's 2-core machine: make
// test-slow runs them (README, "Tests and checks").

// The arm64 reference image (GPT, an ESP with GRUB for arm64-efi, ext4
// root), built on this amd64 builder, is told arm64 by vm, boots under
// qemu-system-aarch64 (TCG, Debian's AAVMF) from the ESP's removable path
// to a login, and systemd reaches a running system.
func TestArm64ImageBoots(t *testing.T) {
	bootsBesideAnother(t)
	out := t.TempDir()
	run(t, 0, cli, "build", "--progress", "plain", "--output-directory", out, filepath.Join(repo, "images/debian-bookworm-arm64-qcow2.json"))
	image := filepath.Join(out, "assembler", "debian-bookworm-arm64.qcow2")
	checkQcow2(t, image, "10 GiB (10737418240 bytes)")
	raw := filepath.Join(t.TempDir(), "disk.raw")
	run(t, 0, "qemu-img", "convert", "-O", "raw", image, raw)
	esp := run(t, 0, "mdir", "-i", raw+"@@1048576", "-b", "::/EFI/BOOT", "::/EFI/debian")
	wantContains(t, "the ESP", esp, "BOOTAA64.EFI", "grubaa64.efi", "grub.cfg")
	os.Remove(raw)

	// Without --arch: vm tells the architecture by the ESP's loader.
	v := startVM(t, "arm64 UEFI", []string{"vm", image})
	v.expect(t, "vm: an arm64 image (EFI/BOOT/BOOTAA64.EFI)", time.Minute)
	v.expect(t, "(arm64 UEFI, tcg)", time.Minute)
	// TCG emulates every arm64 instruction: the boot takes minutes.
	v.loginWithin(t, "debian", "debian", 12*time.Minute)
	if got := v.run(t, "uname -m"); got != "aarch64" {
		t.Errorf("uname -m: %q", got)
	}
	state := v.run(t, "systemctl is-system-running --wait")
	if state != "running" {
		t.Errorf("systemctl is-system-running: %q; failed units:\n%s", state, v.run(t, "systemctl --failed --no-legend"))
	}
	if uuid := v.run(t, "findmnt -no UUID /"); uuid != "4b2e5ec8-36a6-4bd5-9d4b-2f7c1d6c9a31" {
		t.Errorf("/ is mounted from UUID %q", uuid)
	}
}
