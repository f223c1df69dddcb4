//go:build integration

package integration

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// An arm64 minbase tree built on this amd64 builder, its maintainer
// scripts run through the binfmt_misc handler make env registers, exported
// as a tar: its bash is an aarch64 ELF, dpkg installed arm64 packages
// only, and its SBOM's purls say arm64.
func TestArm64TreeAsTar(t *testing.T) {
	if _, err := os.Stat("/proc/sys/fs/binfmt_misc/qemu-aarch64"); err != nil {
		t.Fatalf("no arm64 binfmt_misc handler on this host (make env registers it with hack/binfmt.sh): %v", err)
	}
	manifest := manifestFile(t, "integration/testdata/arm64-tar.json")
	out := t.TempDir()
	run(t, 0, cli, "build", "--progress", "plain", "--sbom", "--export", "tar", "--output-directory", out, manifest)
	files := tarFiles(t, filepath.Join(out, "tar", "arm64.tar"), "./usr/bin/bash", "./var/lib/dpkg/status")
	f, err := elf.NewFile(bytes.NewReader(files["./usr/bin/bash"]))
	if err != nil {
		t.Fatalf("/usr/bin/bash: %v", err)
	}
	if f.Machine != elf.EM_AARCH64 {
		t.Errorf("/usr/bin/bash is for %v, not aarch64", f.Machine)
	}
	status := string(files["./var/lib/dpkg/status"])
	if strings.Count(status, "\nArchitecture: arm64\n") < 50 || strings.Contains(status, "\nArchitecture: amd64\n") {
		t.Errorf("dpkg's status has %d arm64 packages and amd64 ones: %v", strings.Count(status, "\nArchitecture: arm64\n"), strings.Contains(status, "Architecture: amd64"))
	}
	d, _ := readSPDX(t, filepath.Join(out, "tar", "arm64.tar.spdx.json"))
	checkNTIA(t, "the arm64 SBOM", d)
	for _, deb := range d.debs() {
		if !strings.HasSuffix(deb, " arm64") && !strings.HasSuffix(deb, " all") {
			t.Errorf("SBOM package %s is neither arm64 nor all", deb)
		}
	}
}

// The arm64 reference image (GPT, an ESP with GRUB for arm64-efi, ext4
// root), built on this amd64 builder, boots under qemu-system-aarch64 (TCG,
// Debian's AAVMF) from the ESP's removable path to a login, and systemd
// reaches a running system.
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

	v := startVM(t, "arm64 UEFI", []string{"vm", "--arch", "arm64", image})
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

// Without the handler, the bootstrap fails before it downloads anything,
// saying what to register.
func TestArm64WithoutBinfmtSaysHow(t *testing.T) {
	if _, err := os.Stat("/proc/sys/fs/binfmt_misc/qemu-aarch64"); err != nil {
		t.Fatalf("no arm64 binfmt_misc handler to disable: %v", err)
	}
	if out, err := exec.Command("update-binfmts", "--disable", "qemu-aarch64").CombinedOutput(); err != nil {
		t.Fatalf("update-binfmts --disable: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("update-binfmts", "--enable", "qemu-aarch64").CombinedOutput(); err != nil {
			t.Errorf("update-binfmts --enable: %v: %s", err, out)
		}
	})
	manifest := manifestFile(t, "integration/testdata/arm64-tar.json")
	out := run(t, 1, cli, "build", "--progress", "plain", "--no-cache-stage", "org.osbuild.debootstrap", "--export", "tree", "--output-directory", t.TempDir(), manifest)
	wantContains(t, "the build without binfmt", out, "this builder cannot run arm64 programs", "update-binfmts --enable qemu-aarch64")
	if strings.Contains(out, "Retrieving") || strings.Contains(out, "Exec format error") {
		t.Errorf("the bootstrap went on without the handler:\n%s", tail(out, 20))
	}
}

// tarFiles reads the named regular files of a tar archive.
func tarFiles(t *testing.T, path string, names ...string) map[string][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			if h.Name == n {
				out[n], _ = io.ReadAll(tr)
			}
		}
	}
	for _, n := range names {
		if _, ok := out[n]; !ok {
			t.Fatalf("%s has no %s", path, n)
		}
	}
	return out
}
