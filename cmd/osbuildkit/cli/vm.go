package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/osbuildkit/osbuildkit/vm"
)

func init() {
	register(command{name: "vm", summary: "boot a disk image in qemu on a serial console (UEFI, or --bios)", args: "IMAGE", run: runVM})
}

// runVM boots an image: interactively (the console on the terminal;
// Ctrl-A X ends qemu), or, with --until or --expect, as a smoke test that
// exits 0 once the text appears on the console and 1 with the last lines
// seen when it does not within --timeout.
func runVM(e *env, args []string) int {
	fs := newFlags(e, "vm", "IMAGE")
	bios := fs.Bool("bios", false, "boot with SeaBIOS instead of UEFI (OVMF)")
	arch := fs.String("arch", "", "the image's `architecture`: amd64, or arm64 (qemu-system-aarch64, UEFI or --kernel); default: the --kernel's (its boot header), else the image's UEFI loader's (EFI/BOOT/BOOT*.EFI), else amd64")
	until := fs.String("until", "", "`STATE` to wait for: login (the console's login prompt)")
	expect := fs.String("expect", "", "`TEXT` to wait for on the console")
	timeout := fs.Duration("timeout", 0, "`DURATION` to wait for --until or --expect (default 10m)")
	format := fs.String("format", "", "image `format` (default: what qemu-img finds)")
	memory := fs.Int("memory", 1024, "guest memory in `MiB`")
	noKVM := fs.Bool("no-kvm", false, "do not try KVM (TCG only)")
	cdrom := fs.Bool("cdrom", false, "attach the image as a CD (an ISO) and boot from it")
	kernel := fs.String("kernel", "", "boot this kernel `FILE` directly (no bootloader)")
	initrd := fs.String("initrd", "", "the initramfs `FILE` for --kernel")
	cmdline := fs.String("append", "", "the kernel command line for --kernel")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return usageError(e, err)
	}
	if len(pos) != 1 {
		return usageError(e, errors.New("vm takes one IMAGE"))
	}
	o := vm.Options{Image: pos[0], Arch: *arch, Format: *format, BIOS: *bios, Memory: *memory, Expect: *expect, Timeout: *timeout,
		NoKVM: *noKVM, CDROM: *cdrom, Kernel: *kernel, Initrd: *initrd, Append: *cmdline, Stdin: e.stdin, Stdout: e.stdout, Log: e.stderr}
	if o.Kernel == "" && (o.Initrd != "" || o.Append != "") {
		return usageError(e, errors.New("--initrd and --append go with --kernel"))
	}
	switch *until {
	case "":
	case "login":
		if o.Expect != "" {
			return usageError(e, errors.New("--until and --expect exclude each other"))
		}
		o.Expect = "login:"
	default:
		return usageError(e, fmt.Errorf("--until %q: the state to wait for is login (or use --expect TEXT)", *until))
	}
	for _, f := range []string{o.Image, o.Kernel, o.Initrd} {
		if _, err := os.Stat(f); f != "" && err != nil {
			return usageError(e, err)
		}
	}
	if err := o.CheckArch(); err != nil {
		return usageError(e, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := vm.Boot(ctx, o); err != nil {
		fmt.Fprintf(e.stderr, "osbuildkit: vm: %v\n", err)
		return exitFailed
	}
	if o.Expect != "" {
		fmt.Fprintf(e.stderr, "\nosbuildkit: vm: %q appeared on the console\n", o.Expect)
	}
	return exitOK
}
