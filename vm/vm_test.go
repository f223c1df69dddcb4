package vm

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// qemu's command line: UEFI with OVMF and a copy of its variables by
// default, SeaBIOS with BIOS; writes discarded; the console on stdio.
func TestQemuArgs(t *testing.T) {
	o := Options{Image: "/d.qcow2", Format: "qcow2", Memory: 1024, CPUs: 2}
	args := strings.Join(qemuArgs(o, "tcg", "/tmp/vars.fd"), " ")
	for _, want := range []string{"-accel tcg", "-serial mon:stdio", "file=/d.qcow2,if=virtio,format=qcow2,snapshot=on",
		"readonly=on,file=" + OVMFCode, "unit=1,file=/tmp/vars.fd"} {
		if !strings.Contains(args, want) {
			t.Errorf("UEFI args lack %q: %s", want, args)
		}
	}
	if strings.Contains(args, "-cpu host") {
		t.Errorf("TCG with -cpu host: %s", args)
	}
	// The guest never waits for entropy: an RNG device, and RDRAND under TCG
	// (a slow host once left a guest's getrandom spinning for minutes).
	for _, want := range []string{"-device virtio-rng-pci", "-cpu qemu64,+rdrand"} {
		if !strings.Contains(args, want) {
			t.Errorf("TCG args lack %q: %s", want, args)
		}
	}
	o.BIOS = true
	args = strings.Join(qemuArgs(o, "kvm", ""), " ")
	if strings.Contains(args, "pflash") || !strings.Contains(args, "-accel kvm") || !strings.Contains(args, "-cpu host") {
		t.Errorf("BIOS with KVM: %s", args)
	}
}

// A direct kernel boot passes qemu the kernel, its initramfs and command
// line; a boot without one passes none.
func TestQemuArgsDirectKernel(t *testing.T) {
	o := Options{Image: "/d.raw", Format: "raw", Memory: 1024, CPUs: 2, BIOS: true}
	if args := strings.Join(qemuArgs(o, "tcg", ""), " "); strings.Contains(args, "-kernel") || strings.Contains(args, "-append") {
		t.Errorf("a disk boot with a kernel: %s", args)
	}
	o.Kernel, o.Initrd, o.Append = "/b/vmlinuz", "/b/initrd.img", "root=LABEL=root console=ttyS0"
	args := qemuArgs(o, "tcg", "")
	joined := strings.Join(args, "\x00")
	if !strings.Contains(joined, "-kernel\x00/b/vmlinuz\x00-initrd\x00/b/initrd.img\x00-append\x00root=LABEL=root console=ttyS0") {
		t.Errorf("direct kernel boot: %q", args)
	}
	if got := firmware(o); got != "BIOS, kernel /b/vmlinuz" {
		t.Errorf("logged as %q", got)
	}
}

// An ISO is attached as a CD, read-only, and booted from.
func TestQemuArgsCDROM(t *testing.T) {
	o := Options{Image: "/live.iso", Format: "raw", Memory: 1024, CPUs: 2, BIOS: true, CDROM: true}
	args := strings.Join(qemuArgs(o, "tcg", ""), " ")
	if !strings.Contains(args, "-drive file=/live.iso,media=cdrom,readonly=on,format=raw -boot d") || strings.Contains(args, "if=virtio,format") {
		t.Errorf("CD: %s", args)
	}
}

// The text is found when it arrives split across writes, and not before;
// the first pattern seen is the one reported.
func TestWatcherFindsTextAcrossWrites(t *testing.T) {
	w := newWatcher("login:", "(initramfs) ")
	for _, chunk := range []string{"Debian GNU/Linux 12 debian ttyS0\r\n\r\ndebian lo", "gi", "n: "} {
		select {
		case i := <-w.hit:
			t.Fatalf("pattern %d found before %q", i, chunk)
		default:
		}
		w.Write([]byte(chunk))
	}
	select {
	case i := <-w.hit:
		if i != 0 {
			t.Fatalf("found pattern %d, want login: (0)", i)
		}
	default:
		t.Fatal("login: not found")
	}
	w.Write([]byte("(initramfs) login: again")) // a second hit must not block or panic
}

// A smoke test ends at a dead end (here the initramfs shell a tree
// without /sbin/init leaves), soon, not at its timeout, with the lines
// that led there. qemu is a script printing what such a boot prints.
func TestExpectStopsAtADeadEnd(t *testing.T) {
	bin := t.TempDir()
	script := "#!/bin/sh\nprintf 'Target filesystem doesn\\047t have requested /sbin/init.\\r\\nNo init found. Try passing init= bootarg.\\r\\n\\r\\n(initramfs) '\nsleep 60\n"
	if err := os.WriteFile(filepath.Join(bin, "qemu-system-x86_64"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
	var console strings.Builder
	start := time.Now()
	_, err := run(context.Background(), Options{Expect: "login:", Timeout: time.Minute, Stdout: &console}, nil)
	if !errors.Is(err, ErrNotSeen) || !strings.Contains(err.Error(), `the boot stopped at "Target filesystem doesn't have requested"`) ||
		!strings.Contains(err.Error(), "No init found. Try passing init= bootarg.") {
		t.Fatalf("got %v", err)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("the dead end took %s to end the boot", took)
	}
}

// The last lines seen, without the console's control characters.
func TestLastLines(t *testing.T) {
	out := []byte("a\r\nb\r\n\x1b[1m\x1b[37m\x1b[40mc\x1b[0m\x1b[=3h\r\nd\r\n")
	if got := lastLines(out, 2); got != "c\nd" {
		t.Errorf("lastLines = %q", got)
	}
}

// A missing image or firmware fails before qemu starts, saying so.
func TestBootRefusesMissingParts(t *testing.T) {
	err := Boot(context.Background(), Options{Image: "/nonexistent.qcow2"})
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing image: %v", err)
	}
}

// An Expect boot of a disk that boots nothing ends at its timeout with
// ErrNotSeen and the console's last lines (OVMF's, on the serial line).
// Needs qemu and OVMF; skipped without them.
func TestExpectTimesOutWithLastLines(t *testing.T) {
	for _, p := range []string{"/usr/bin/qemu-system-x86_64", OVMFCode} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("no %s", p)
		}
	}
	disk := filepath.Join(t.TempDir(), "empty.raw")
	if err := os.WriteFile(disk, make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	err := Boot(context.Background(), Options{Image: disk, Format: "raw", NoKVM: true, Expect: "login:", Timeout: 20 * time.Second})
	if !errors.Is(err, ErrNotSeen) || !strings.Contains(err.Error(), "within 20s") {
		t.Fatalf("got %v", err)
	}
	if !slices.ContainsFunc(strings.Split(err.Error(), "\n"), func(l string) bool { return strings.HasPrefix(l, "BdsDxe: failed to load") }) {
		t.Errorf("the last lines lack OVMF's boot manager:\n%v", err)
	}
}

// An arm64 guest: qemu-system-aarch64's virt machine under AAVMF, TCG,
// with an RNG, the disk's writes discarded, or its kernel loaded directly
// with no firmware; --bios is refused for it before qemu starts.
func TestQemuArgsArm64(t *testing.T) {
	o := Options{Image: "/d.qcow2", Format: "qcow2", Memory: 1024, CPUs: 2, Arch: "arm64"}
	args := strings.Join(qemuArgs(o, "kvm", ""), " ")
	for _, want := range []string{"-machine virt", "-accel tcg", "-cpu cortex-a72", "-bios " + AAVMF, "-device virtio-rng-pci",
		"file=/d.qcow2,if=virtio,format=qcow2,snapshot=on", "-serial mon:stdio"} {
		if !strings.Contains(args, want) {
			t.Errorf("arm64 args lack %q: %s", want, args)
		}
	}
	if strings.Contains(args, "pflash") || strings.Contains(args, "q35") {
		t.Errorf("arm64 args with amd64's machine: %s", args)
	}
	if qemuSystem["arm64"][0] != "qemu-system-aarch64" {
		t.Errorf("arm64 runs %q", qemuSystem["arm64"][0])
	}
	o.Kernel, o.Initrd, o.Append = "/b/vmlinuz", "/b/initrd.img", "console=ttyAMA0"
	kernelArgs := strings.Join(qemuArgs(o, "tcg", ""), "\x00")
	if !strings.Contains(kernelArgs, "-kernel\x00/b/vmlinuz\x00-initrd\x00/b/initrd.img\x00-append\x00console=ttyAMA0") || strings.Contains(kernelArgs, "-bios") {
		t.Errorf("arm64 direct kernel boot: %q", kernelArgs)
	}
	if got := firmware(o); got != "arm64, kernel /b/vmlinuz" {
		t.Errorf("arm64 direct kernel boot's firmware: %q", got)
	}
	for _, bad := range []Options{{Image: "/dev/null", Format: "raw", Arch: "arm64", BIOS: true}, {Image: "/dev/null", Format: "raw", Arch: "riscv64"}} {
		if err := bad.defaults(); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}
