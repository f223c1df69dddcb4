//go:build integration

package integration

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// vm is a guest booted by osbuildkit vm (TCG: these machines have no
// KVM), driven on its serial console through a pipe.
type vm struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	mu     sync.Mutex
	out    bytes.Buffer
	cursor int
}

// bootVM boots an image with osbuildkit vm under SeaBIOS ("bios") or OVMF
// ("uefi"), writes discarded.
func bootVM(t *testing.T, image, firmware string) *vm {
	t.Helper()
	args := []string{"vm", image}
	if firmware == "bios" {
		args = []string{"vm", "--bios", image}
	}
	return startVM(t, firmware, args)
}

// bootKernel boots a raw disk image with osbuildkit vm's direct kernel
// boot (the kernel, initramfs and command line given, no bootloader),
// writes discarded.
func bootKernel(t *testing.T, image, kernel, initrd, cmdline string) *vm {
	t.Helper()
	return startVM(t, "kernel", []string{"vm", "--bios", "--format", "raw", "--kernel", kernel, "--initrd", initrd, "--append", cmdline, image})
}

// startVM runs osbuildkit with args, its console on a pipe; when the test
// ends it is stopped as a user stops it (SIGTERM), and what it started is
// killed if it does not end. what names the boot in a failed test's log.
func startVM(t *testing.T, what string, args []string) *vm {
	t.Helper()
	v := &vm{cmd: exec.Command(cli, args...)}
	v.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := v.cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	v.stdin = stdin
	v.cmd.Stdout = v
	v.cmd.Stderr = v
	if err := v.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		v.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- v.cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Errorf("osbuildkit vm did not end within 30s of SIGTERM")
			syscall.Kill(-v.cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		if t.Failed() {
			// The whole console goes to a file and only its end to the
			// log, so that the test's own errors, logged before this, stay
			// in the last lines of its output (all CI shows of it).
			load, _ := os.ReadFile("/proc/loadavg")
			file := filepath.Join(os.TempDir(), "osbuildkit-console-"+strings.ReplaceAll(t.Name(), "/", "-")+".log")
			if err := os.WriteFile(file, []byte(v.String()), 0o644); err != nil {
				file = err.Error()
			}
			t.Logf("serial console (%s), host load %s; all of it: %s; its last lines:\n%s", what, strings.TrimSpace(string(load)), file, tail(v.String(), 20))
		}
	})
	return v
}

func (v *vm) Write(p []byte) (int, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.out.Write(p)
}

func (v *vm) String() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.out.String()
}

// expect waits for text after what was already matched.
func (v *vm) expect(t *testing.T, text string, timeout time.Duration) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		v.mu.Lock()
		s := v.out.String()[v.cursor:]
		if i := strings.Index(s, text); i >= 0 {
			v.cursor += i + len(text)
			v.mu.Unlock()
			return s[:i]
		}
		v.mu.Unlock()
		select {
		case <-ctx.Done():
			t.Fatalf("no %q on the serial console within %v", text, timeout)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (v *vm) send(t *testing.T, line string) {
	t.Helper()
	if _, err := io.WriteString(v.stdin, line+"\n"); err != nil {
		t.Fatal(err)
	}
}

// login logs in on the serial console and runs commands, returning the
// output between markers.
func (v *vm) login(t *testing.T, user, password string) {
	t.Helper()
	v.loginWithin(t, user, password, 5*time.Minute)
}

// loginWithin logs in once the login prompt appears within d.
func (v *vm) loginWithin(t *testing.T, user, password string, d time.Duration) {
	t.Helper()
	v.expect(t, "login:", d)
	v.send(t, user)
	v.expect(t, "Password:", time.Minute)
	v.send(t, password)
	v.expect(t, "$ ", time.Minute)
}

func (v *vm) run(t *testing.T, command string) string {
	t.Helper()
	// The markers are typed split by quotes, so only the shell's output
	// holds them whole.
	v.send(t, fmt.Sprintf("echo BEGIN''-OUT; %s; echo END''-OUT", command))
	v.expect(t, "BEGIN-OUT", time.Minute)
	return commandOutput(v.expect(t, "END-OUT", 3*time.Minute))
}

// commandOutput is what a command printed between the markers, without
// carriage returns and without the kernel's console messages, which a
// guest still loading drivers on a busy host prints anywhere, even in
// the middle of a line.
func commandOutput(s string) string {
	return strings.TrimSpace(kernelMessage.ReplaceAllString(strings.ReplaceAll(s, "\r", ""), ""))
}

// kernelMessage is one kernel console message: a timestamp, the text, the
// line's end.
var kernelMessage = regexp.MustCompile(`\[ *[0-9]+\.[0-9]+\] [^\n]*(\n|$)`)

func checkQcow2(t *testing.T, image string, virtualSize string) {
	t.Helper()
	info := run(t, 0, "qemu-img", "info", image)
	wantContains(t, "qemu-img info", info, "file format: qcow2", "virtual size: "+virtualSize)
	run(t, 0, "qemu-img", "check", image)
	fi, err := os.Stat(image)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() > 1<<30 {
		t.Errorf("%s is %d bytes: holes were lost", image, fi.Size())
	}
}

// The reference image builds without a warning (its boot checks find
// nothing), boots under BIOS and UEFI, reaches a running system, and
// mounts / from the filesystem the manifest names.
func TestReferenceImageBoots(t *testing.T) {
	bootsBesideAnother(t)
	out := t.TempDir()
	log := run(t, 0, cli, "build", "--progress", "plain", "--output-directory", out, filepath.Join(repo, "images/debian-bookworm-qcow2.json"))
	if strings.Contains(log, "osbuildkit: warning:") || strings.Contains(log, "boot check (") {
		t.Errorf("the reference image's build warns:\n%s", tail(log, 20))
	}
	image := filepath.Join(out, "assembler", "debian-bookworm.qcow2")
	checkQcow2(t, image, "10 GiB (10737418240 bytes)")
	hostKeys := map[string]string{} // firmware → the ed25519 host key the machine serves
	for _, fw := range []string{"bios", "uefi"} {
		t.Run(fw, func(t *testing.T) {
			v := bootVM(t, image, fw)
			v.login(t, "debian", "debian")
			state := v.run(t, "systemctl is-system-running --wait")
			if state != "running" {
				t.Errorf("systemctl is-system-running: %q; failed units:\n%s", state, v.run(t, "systemctl --failed --no-legend"))
			}
			if uuid := v.run(t, "findmnt -no UUID /"); uuid != "4b2e5ec8-36a6-4bd5-9d4b-2f7c1d6c9a31" {
				t.Errorf("/ is mounted from UUID %q", uuid)
			}
			if fw == "uefi" {
				if got := v.run(t, "test -d /sys/firmware/efi && echo efi"); got != "efi" {
					t.Errorf("not booted through UEFI: %q", got)
				}
			}
			// First boot replaced the host keys made when openssh-server
			// was installed, and sshd serves the new one.
			if got := v.run(t, "test -e /etc/osbuild-first-boot && echo flag; ls -a /etc/ssh | grep -c new-host-keys"); got != "0" {
				t.Errorf("after the first boot: %q, want the flag and the temporary directory gone", got)
			}
			file := strings.Fields(v.run(t, "cat /etc/ssh/ssh_host_ed25519_key.pub"))
			served := strings.Fields(v.run(t, "ssh-keyscan -t ed25519 127.0.0.1 2>/dev/null"))
			if len(file) < 2 || len(served) < 3 || served[2] != file[1] {
				t.Errorf("sshd serves %q, the key file holds %q", served, file)
			} else {
				hostKeys[fw] = file[1]
			}
		})
	}
	if hostKeys["bios"] == "" || hostKeys["bios"] == hostKeys["uefi"] {
		t.Errorf("two boots of one image present the host keys %q and %q: they were not regenerated", hostKeys["bios"], hostKeys["uefi"])
	}
	// osbuildkit vm, as a smoke test: UEFI by default, done at the login
	// prompt, the image untouched.
	t.Run("osbuildkit vm", func(t *testing.T) {
		before := run(t, 0, "sha256sum", image)
		log := run(t, 0, cli, "vm", "--until", "login", "--timeout", "10m", image)
		wantContains(t, "osbuildkit vm", log, "vm: booting "+image+" (UEFI, ", "osbuildkit: vm: \"login:\" appeared on the console")
		if after := run(t, 0, "sha256sum", image); after != before {
			t.Errorf("osbuildkit vm changed the image")
		}
	})
}

// The users' qcow2 example, corrected where Debian requires it
// (grub-efi-amd64, not grub2-efi-amd64), builds; its over-long root
// partition is fitted with a warning, and the boot checks warn, at its
// packages, that minbase has no /sbin/init. With a serial console, the
// boot under osbuildkit vm shows why: GRUB boots the kernel, which stops
// in the initramfs, and vm fails there with those last lines.
func TestUsersQcow2Example(t *testing.T) {
	bootsBesideAnother(t)
	out := t.TempDir()
	log := run(t, 0, cli, "build", "--progress", "plain", "--output-directory", out, filepath.Join(repo, "images/debian-bootable-qcow2-fixed.json"))
	wantContains(t, "build log", log, "osbuildkit: warning: [assembler] assembler 0 org.osbuild.qemu: ",
		".options.partitions[1].size (", "partition 2 ends 17.0 MiB after the usable end of the disk; fitted it to the disk",
		"osbuildkit: warning: [build] stage 1 org.osbuild.apt: .pipelines[0].stages[1].options.packages (", "the tree has no /sbin/init", "(systemd-sysv)")
	image := filepath.Join(out, "assembler", "debian-bootable.qcow2")
	checkQcow2(t, image, "10 GiB (10737418240 bytes)")
	raw := filepath.Join(t.TempDir(), "disk.raw")
	run(t, 0, "qemu-img", "convert", "-O", "raw", image, raw)
	table := run(t, 0, "sfdisk", "--dump", raw)
	wantContains(t, "partition table", table, "label: gpt", "label-id: 12345678-1234-1234-1234-123456789012",
		"start=        2048, size=      524288, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B", "name=\"root\"")
	root := run(t, 0, "blkid", "--probe", "--offset", "269484032", "-o", "value", "-s", "UUID", raw)
	if strings.TrimSpace(root) != "6e4ff95f-f662-45ee-a82a-bdf44a2d0b75" {
		t.Errorf("root filesystem UUID %q, want grub2's root_fs_uuid", root)
	}
	esp := run(t, 0, "mdir", "-i", raw+"@@1048576", "-b", "::/EFI/BOOT", "::/EFI/debian")
	wantContains(t, "ESP", esp, "BOOTX64.EFI", "grubx64.efi", "grub.cfg")
	// The ESP's files are on the ESP only: the root filesystem has the
	// mountpoint, empty, and checks clean.
	rootfs := raw + "?offset=269484032"
	ls := run(t, 0, "debugfs", "-R", "ls -p /boot/efi", rootfs)
	var entries []string
	for _, line := range strings.Split(ls, "\n") {
		// ls -p: /inode/mode/uid/gid/name/size/
		if f := strings.Split(line, "/"); len(f) > 5 && f[0] == "" && f[5] != "." && f[5] != ".." {
			entries = append(entries, f[5])
		}
	}
	if len(entries) > 0 || !strings.Contains(ls, "/./") {
		t.Errorf("/boot/efi in the root filesystem holds %v, want an empty mountpoint:\n%s", entries, ls)
	}
	run(t, 0, "e2fsck", "-fn", rootfs)
	serial := manifestFile(t, "images/debian-bootable-qcow2-fixed.json", func(s string) string {
		const grub = `"root_fs_uuid": "6e4ff95f-f662-45ee-a82a-bdf44a2d0b75",`
		if !strings.Contains(s, grub) {
			t.Fatalf("the example's grub2 stage no longer reads %s", grub)
		}
		return strings.Replace(s, grub, grub+` "kernel_opts": "console=ttyS0",`, 1)
	})
	out = t.TempDir()
	run(t, 0, cli, "build", "--output-directory", out, serial)
	log = run(t, 1, cli, "vm", "--until", "login", "--timeout", "10m", filepath.Join(out, "assembler", "debian-bootable.qcow2"))
	wantContains(t, "osbuildkit vm", log, `the boot stopped at "Target filesystem doesn't have requested"`, "the last lines seen:", "Target filesystem doesn't have requested /sbin/init")
}

// bootsBesideAnother runs a test that boots guests after the sequential
// tests, beside one other such test (go test's -parallel is GOMAXPROCS: 2
// on CI's machine). A TCG guest keeps one core busy for minutes while its
// neighbour's build waits on downloads or its guest on one vCPU; run one
// after another, they took most of make test's time.
func bootsBesideAnother(t *testing.T) {
	t.Parallel()
}
