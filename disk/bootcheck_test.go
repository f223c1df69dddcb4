package disk

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const (
	testRootUUID = "4b2e5ec8-36a6-4bd5-9d4b-2f7c1d6c9a31"
	testESPUUID  = "3f1b4f5e-2c3d-4e5f-8a9b-0c1d2e3f4a5b"
)

// bootableTree writes a tree with everything the boot checks look for, as
// the reference image has it; edit changes it before the check.
func bootableTree(t *testing.T, edit map[string]string) string {
	t.Helper()
	files := map[string]string{
		"usr/lib/systemd/systemd":       "#!init",
		"boot/vmlinuz-6.1.0-9-amd64":    "kernel",
		"boot/initrd.img-6.1.0-9-amd64": "initrd",
		"boot/grub/grub.cfg": "serial --unit=0\nterminal_output serial console\nsearch --no-floppy --fs-uuid --set=root " + testRootUUID +
			"\nmenuentry 'Debian' {\n\tlinux /boot/vmlinuz-6.1.0-9-amd64 root=UUID=" + testRootUUID + " ro console=ttyS0\n}\n",
		"boot/efi/EFI/BOOT/BOOTX64.EFI": "efi",
		"etc/fstab":                     "UUID=" + testRootUUID + " / ext4 defaults 0 1\nPARTUUID=" + testESPUUID + " /boot/efi vfat umask=0077 0 2\n",
	}
	for k, v := range edit {
		files[k] = v
	}
	tree := t.TempDir()
	for p, data := range files {
		if data == "" {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(tree, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tree, p), []byte(data), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{"sbin": "usr/sbin", "usr/sbin/init": "../lib/systemd/systemd"} {
		if _, drop := edit[link]; drop {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(tree, link)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, filepath.Join(tree, link)); err != nil {
			t.Fatal(err)
		}
	}
	return tree
}

func bootDisk() *Disk {
	return &Disk{Size: 1 << 30, PTType: "gpt", PTUUID: "b9f4a4a0-5a1c-4f4e-8b7e-3c2d1e0f9a8b", Partitions: []Partition{
		{Type: GPTESP, UUID: testESPUUID, FS: &Filesystem{Type: "vfat", Mountpoint: "/boot/efi"}},
		{Type: GPTLinux, FS: &Filesystem{Type: "ext4", UUID: testRootUUID, Mountpoint: "/"}},
	}}
}

func checks(fs []BootFinding) string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Check+":"+f.Ref)
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// The reference image's tree and layout boot: no findings.
func TestBootChecksPassABootableDisk(t *testing.T) {
	d := bootDisk()
	d.fillIdentities()
	if got := d.BootChecks(bootableTree(t, nil)); len(got) != 0 {
		t.Errorf("findings on a bootable disk: %+v", got)
	}
}

// Each thing that keeps a disk from booting is found, with what it is
// about; the message says what to do.
func TestBootChecksFindWhatKeepsADiskFromBooting(t *testing.T) {
	cases := []struct {
		name string
		edit map[string]string
		disk func(*Disk)
		want string
		hint string
	}{
		{"no init (minbase)", map[string]string{"usr/sbin/init": ""}, nil, "init:/sbin/init", "systemd-sysv"},
		{"init= elsewhere", map[string]string{"boot/grub/grub.cfg": "linux /boot/vmlinuz-6.1.0-9-amd64 root=UUID=" + testRootUUID + " init=/lib/sysvinit/init\n"}, nil, "init:/lib/sysvinit/init", "init system"},
		{"no kernel", map[string]string{"boot/vmlinuz-6.1.0-9-amd64": "", "boot/initrd.img-6.1.0-9-amd64": ""}, nil, "kernel:", "linux-image-amd64"},
		{"no initramfs", map[string]string{"boot/initrd.img-6.1.0-9-amd64": ""}, nil, "kernel:6.1.0-9-amd64", "initramfs"},
		{"GRUB boots another root", nil, func(d *Disk) { d.Partitions[1].FS.UUID = "6e4ff95f-f662-45ee-a82a-bdf44a2d0b75" },
			"fstab:UUID=" + testRootUUID + " grub-root:" + testRootUUID + " grub-root:UUID=" + testRootUUID, "no filesystem on the disk"},
		{"ESP with only a vendor binary", map[string]string{"boot/efi/EFI/BOOT/BOOTX64.EFI": "", "boot/efi/EFI/debian/grubx64.efi": "efi"}, nil, "efi:/boot/efi", "EFI/debian/grubx64.efi"},
		{"BIOS boot partition without boot code", nil, func(d *Disk) {
			d.Partitions = append(d.Partitions, Partition{Type: GPTBIOSBoot})
		}, "bios:", "grub-pc-bin"},
		{"fstab names a missing label", map[string]string{"etc/fstab": "UUID=" + testRootUUID + " / ext4 defaults 0 1\nLABEL=data /srv ext4 defaults 0 2\nLABEL=opt /opt ext4 nofail 0 2\n"}, nil, "fstab:LABEL=data", "emergency shell"},
		{"serial GRUB, silent kernel", map[string]string{"boot/grub/grub.cfg": "terminal_output serial\nlinux /boot/vmlinuz-6.1.0-9-amd64 root=UUID=" + testRootUUID + " ro quiet\n"}, nil, "serial-console:/boot/grub/grub.cfg", "console=ttyS0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := bootDisk()
			if tc.disk != nil {
				tc.disk(d)
			}
			d.fillIdentities()
			got := d.BootChecks(bootableTree(t, tc.edit))
			if checks(got) != tc.want {
				t.Fatalf("findings %q, want %q: %+v", checks(got), tc.want, got)
			}
			if !strings.Contains(got[0].Message, tc.hint) {
				t.Errorf("message %q does not say %q", got[0].Message, tc.hint)
			}
		})
	}
}

// A FAT filesystem is found by its volume ID, a dos partition by the
// disk ID and its number, as blkid names them.
func TestBootChecksKnowFATAndDOSNames(t *testing.T) {
	d := &Disk{Size: 1 << 30, PTType: "dos", PTUUID: "0x1234abcd", Partitions: []Partition{
		{Type: "ef", FS: &Filesystem{Type: "vfat", UUID: "7b7795e7", Mountpoint: "/boot/efi"}},
		{Type: "83", FS: &Filesystem{Type: "ext4", UUID: testRootUUID, Mountpoint: "/"}},
	}}
	tree := bootableTree(t, map[string]string{"etc/fstab": "UUID=" + testRootUUID + " / ext4 defaults 0 1\nUUID=7B77-95E7 /boot/efi vfat defaults 0 2\nPARTUUID=1234abcd-02 /x ext4 defaults 0 2\n"})
	if got := d.BootChecks(tree); len(got) != 0 {
		t.Errorf("findings: %+v", got)
	}
}

// A disk nothing boots from (no bootloader, kernel or ESP) and an OSTree
// sysroot (its deployments hold the init) are not checked.
func TestBootChecksSkipDataDisksAndOSTree(t *testing.T) {
	data := &Disk{Size: 1 << 30, PTType: "gpt", Partitions: []Partition{{Type: GPTLinux, FS: &Filesystem{Type: "ext4", Mountpoint: "/"}}}}
	data.fillIdentities()
	tree := t.TempDir()
	if err := os.MkdirAll(filepath.Join(tree, "srv"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got := data.BootChecks(tree); len(got) != 0 {
		t.Errorf("findings on a data disk: %+v", got)
	}
	d := bootDisk()
	d.fillIdentities()
	ostree := bootableTree(t, map[string]string{"usr/sbin/init": "", "ostree/repo/config": "[core]\n"})
	if got := d.BootChecks(ostree); len(got) != 0 {
		t.Errorf("findings on an OSTree sysroot: %+v", got)
	}
}

// A partition marked bootable claims the disk boots: a tree with neither
// init nor kernel behind it is found out.
func TestBootChecksTakeTheBootableFlagAsAClaim(t *testing.T) {
	d := &Disk{Size: 1 << 30, PTType: "dos", Partitions: []Partition{{Type: "83", Bootable: true, FS: &Filesystem{Type: "ext4", Mountpoint: "/"}}}}
	d.fillIdentities()
	if got := checks(d.BootChecks(t.TempDir())); got != "init:/sbin/init kernel:" {
		t.Errorf("findings %q, want the missing init and kernel", got)
	}
}
