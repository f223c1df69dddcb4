// Package vm boots a disk image in qemu on a serial console, the way
// users try an image (mkosi's "mkosi vm"): UEFI (OVMF) or BIOS (SeaBIOS),
// writes discarded (snapshot=on), KVM when it works and TCG otherwise. With
// Expect set it is a smoke test: it ends as soon as the text appears on
// the console, or fails with the last lines seen.
package vm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// OVMF's firmware and variable store, as Debian's ovmf package installs
// them.
const (
	OVMFCode = "/usr/share/OVMF/OVMF_CODE_4M.fd"
	OVMFVars = "/usr/share/OVMF/OVMF_VARS_4M.fd"
	// AAVMF is the arm64 UEFI firmware, as Debian's qemu-efi-aarch64
	// installs it.
	AAVMF = "/usr/share/qemu-efi-aarch64/QEMU_EFI.fd"
)

// qemuSystem is the qemu that emulates an architecture, and the Debian
// package with it.
var qemuSystem = map[string][2]string{
	"amd64": {"qemu-system-x86_64", "qemu-system-x86"},
	"arm64": {"qemu-system-aarch64", "qemu-system-arm"},
}

// Options say how to boot.
type Options struct {
	Image string
	// Arch is the guest's architecture: amd64 or arm64, which boots a
	// virt machine under UEFI (AAVMF), or its Kernel directly, always with
	// TCG here. Empty is the kernel's (KernelArch) or else the image's
	// (DetectArch), amd64 when it does not tell.
	Arch string
	// Format is the image's format; qemu-img finds it when empty.
	Format string
	// BIOS boots with SeaBIOS instead of UEFI.
	BIOS bool
	// Memory in MiB (default 1024); CPUs (default 2).
	Memory, CPUs int
	// Expect ends the boot successfully when this text appears on the
	// console; empty means interactive, until qemu exits.
	Expect string
	// Timeout bounds an Expect boot (default 10 minutes).
	Timeout time.Duration
	// CDROM attaches the image as a CD (an ISO) rather than a disk.
	CDROM bool
	// Kernel, when set, is booted directly (qemu's -kernel, no
	// bootloader) with Initrd and the command line Append: a tree's
	// kernel on a disk that has no bootloader, as an OSTree sysroot.
	Kernel, Initrd, Append string
	// KVM is tried first when /dev/kvm exists; NoKVM skips it.
	NoKVM bool
	// Stdin feeds the console in an interactive boot; Stdout shows it.
	Stdin  io.Reader
	Stdout io.Writer
	// Log tells what happens (the accelerator, a fallback).
	Log io.Writer
}

// ErrNotSeen is the failure of an Expect boot.
var ErrNotSeen = errors.New("the expected text did not appear on the console")

// qemuArgs is qemu's command line for o with accel ("kvm" or "tcg") and,
// for UEFI, the copy of the variable store at vars.
func qemuArgs(o Options, accel, vars string) []string {
	if o.Arch == "arm64" {
		return arm64Args(o)
	}
	args := []string{"-machine", "q35", "-accel", accel, "-m", fmt.Sprint(o.Memory), "-smp", fmt.Sprint(o.CPUs),
		"-display", "none", "-serial", "mon:stdio", "-no-reboot", "-nic", "user,model=virtio-net-pci",
		"-device", "virtio-rng-pci"}
	if o.CDROM {
		args = append(args, "-drive", "file="+o.Image+",media=cdrom,readonly=on,format="+o.Format, "-boot", "d")
	} else {
		args = append(args, "-drive", "file="+o.Image+",if=virtio,format="+o.Format+",snapshot=on")
	}
	if accel == "kvm" {
		args = append(args, "-cpu", "host")
	} else {
		args = append(args, "-cpu", "qemu64,+rdrand")
	}
	args = append(args, kernelArgs(o)...)
	if !o.BIOS {
		args = append(args,
			"-drive", "if=pflash,format=raw,unit=0,readonly=on,file="+OVMFCode,
			"-drive", "if=pflash,format=raw,unit=1,file="+vars)
	}
	return args
}

// arm64Args is qemu-system-aarch64's command line: a virt machine with a
// Cortex-A72 (TCG emulates it faster than "max", whose pointer
// authentication is costly) under AAVMF, whose EFI variables are not kept,
// so the firmware boots the disk's removable path (EFI/BOOT/BOOTAA64.EFI).
func arm64Args(o Options) []string {
	args := []string{"-machine", "virt", "-accel", "tcg", "-cpu", "cortex-a72", "-m", fmt.Sprint(o.Memory), "-smp", fmt.Sprint(o.CPUs),
		"-display", "none", "-serial", "mon:stdio", "-no-reboot", "-nic", "user,model=virtio-net-pci",
		"-device", "virtio-rng-pci"}
	if o.Kernel != "" {
		// qemu loads the kernel (an Image, gzipped or not) with the
		// machine's device tree; no firmware.
		args = append(args, kernelArgs(o)...)
	} else {
		args = append(args, "-bios", AAVMF)
	}
	if o.CDROM {
		return append(args, "-drive", "file="+o.Image+",if=none,id=cd,media=cdrom,readonly=on,format="+o.Format, "-device", "virtio-scsi-pci", "-device", "scsi-cd,drive=cd")
	}
	return append(args, "-drive", "file="+o.Image+",if=virtio,format="+o.Format+",snapshot=on")
}

// kernelArgs boot o's Kernel, if any, directly: qemu's -kernel with the
// initramfs and command line given.
func kernelArgs(o Options) []string {
	if o.Kernel == "" {
		return nil
	}
	args := []string{"-kernel", o.Kernel}
	if o.Initrd != "" {
		args = append(args, "-initrd", o.Initrd)
	}
	if o.Append != "" {
		args = append(args, "-append", o.Append)
	}
	return args
}

// Boot boots the image as o says. With Expect it returns nil once the text
// appears, or an error wrapping ErrNotSeen with the console's last lines.
func Boot(ctx context.Context, o Options) error {
	if err := o.defaults(); err != nil {
		return err
	}
	vars := ""
	if !o.BIOS && o.Arch == "amd64" {
		dir, err := os.MkdirTemp("", "osbuildkit-vm-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		vars = filepath.Join(dir, "OVMF_VARS.fd")
		if err := copyFile(OVMFVars, vars); err != nil {
			return fmt.Errorf("UEFI needs OVMF (Debian's ovmf package), or boot with --bios: %w", err)
		}
	}
	accels := []string{"tcg"}
	if !o.NoKVM && o.Arch == "amd64" && kvmOpens() {
		accels = []string{"kvm", "tcg"}
	}
	var err error
	for i, accel := range accels {
		fmt.Fprintf(o.Log, "vm: booting %s (%s, %s)\n", o.Image, firmware(o), accel)
		var kvmFailed bool
		kvmFailed, err = run(ctx, o, qemuArgs(o, accel, vars))
		if !kvmFailed || i == len(accels)-1 {
			return err
		}
		fmt.Fprintf(o.Log, "vm: KVM failed (%v); booting again with TCG\n", err)
		if !o.BIOS {
			if err := copyFile(OVMFVars, vars); err != nil {
				return err
			}
		}
	}
	return err
}

func (o *Options) defaults() error {
	if o.Memory == 0 {
		o.Memory = 1024
	}
	if o.CPUs == 0 {
		o.CPUs = 2
	}
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Minute
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	for _, f := range []string{o.Image, o.Kernel, o.Initrd} {
		if _, err := os.Stat(f); f != "" && err != nil {
			return err
		}
	}
	if o.Format == "" {
		f, err := imageFormat(o.Image)
		if err != nil {
			return err
		}
		o.Format = f
	}
	if o.Arch == "" {
		o.Arch = "amd64"
		if o.Kernel != "" {
			arch, err := KernelArch(o.Kernel)
			if err != nil {
				return err
			}
			if arch != "" {
				o.Arch = arch
				fmt.Fprintf(o.Log, "vm: an %s kernel (its boot header)\n", arch)
			} else {
				fmt.Fprintf(o.Log, "vm: the kernel's architecture is not in its header; booting it as amd64 (--arch arm64 for an arm64 kernel)\n")
			}
		} else {
			arch, by, err := DetectArch(o.Image, o.Format, o.CDROM)
			if err != nil {
				return fmt.Errorf("finding the image's architecture (or give --arch): %w", err)
			}
			if arch != "" {
				o.Arch = arch
				fmt.Fprintf(o.Log, "vm: an %s image (%s)\n", arch, by)
			} else {
				fmt.Fprintf(o.Log, "vm: no UEFI loader tells the image's architecture; booting it as amd64 (--arch arm64 for an arm64 image)\n")
			}
		}
	}
	if err := o.CheckArch(); err != nil {
		return err
	}
	if o.Arch == "arm64" && o.Kernel == "" {
		if _, err := os.Stat(AAVMF); err != nil {
			return fmt.Errorf("an arm64 guest needs AAVMF (Debian's qemu-efi-aarch64): %w", err)
		}
	}
	return nil
}

// CheckArch refuses an architecture vm cannot boot, and amd64's ways of
// booting (BIOS, a kernel given) for arm64.
func (o Options) CheckArch() error {
	arch := o.Arch
	if arch == "" {
		arch = "amd64"
	}
	if _, ok := qemuSystem[arch]; !ok {
		return fmt.Errorf("--arch %q: vm boots amd64 and arm64 images", arch)
	}
	if arch == "arm64" && o.BIOS {
		return errors.New("an arm64 guest boots under UEFI or from --kernel: --bios is for amd64")
	}
	return nil
}

// firmware names how the machine boots, for the log.
func firmware(o Options) string {
	fw := "UEFI"
	if o.Arch == "arm64" {
		fw = "arm64 UEFI"
		if o.Kernel != "" {
			fw = "arm64"
		}
	}
	if o.BIOS {
		fw = "BIOS"
	}
	if o.Kernel != "" {
		fw += ", kernel " + o.Kernel
	}
	if o.CDROM {
		fw += ", CD"
	}
	return fw
}

// kvmOpens says whether /dev/kvm can be opened; it may still fail to run
// a guest (nested machines), which run sees.
func kvmOpens() bool {
	f, err := os.OpenFile("/dev/kvm", os.O_RDWR, 0)
	if err != nil {
		return false
	}
	f.Close()
	return true
}

// imageFormat asks qemu-img.
func imageFormat(image string) (string, error) {
	out, err := exec.Command("qemu-img", "info", "--output=json", image).Output()
	if err != nil {
		return "", fmt.Errorf("qemu-img info %s: %w", image, err)
	}
	var info struct {
		Format string `json:"format"`
	}
	if err := json.Unmarshal(out, &info); err != nil || info.Format == "" {
		return "", fmt.Errorf("qemu-img info %s: no format", image)
	}
	return info.Format, nil
}

func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o644)
}

// consoleIndicatesKVM says whether a qemu that ended early failed in KVM.
func consoleIndicatesKVM(out []byte) bool {
	return bytes.Contains(bytes.ToLower(out), []byte("kvm"))
}

// csi are the console's control sequences (colours, cursor moves).
var csi = regexp.MustCompile(`\x1b\[[0-9;=?]*[A-Za-z]`)

// lastLines are the last n lines of the console, control sequences and
// characters other than line breaks left out.
func lastLines(out []byte, n int) string {
	s := strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || r >= ' ' && r != 0x7f {
			return r
		}
		return -1
	}, csi.ReplaceAllString(string(out), ""))
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
