package disk

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestNestedMountpoints(t *testing.T) {
	d := &Disk{Partitions: []Partition{
		{FS: &Filesystem{Type: "vfat", Mountpoint: "/boot/efi"}},
		{FS: &Filesystem{Type: "ext4", Mountpoint: "/boot"}},
		{FS: &Filesystem{Type: "swap"}},
		{FS: &Filesystem{Type: "ext4", Mountpoint: "/"}},
		{FS: &Filesystem{Type: "ext4", Mountpoint: "/home"}},
		{FS: &Filesystem{Type: "ext4", Mountpoint: "/homework"}},
		{},
	}}
	for i, want := range map[int][]string{3: {"/boot", "/home", "/homework"}, 1: {"/boot/efi"}, 4: nil, 0: nil} {
		if got := d.nestedMountpoints(i); !reflect.DeepEqual(got, want) {
			t.Errorf("below %s: %v, want %v", d.Partitions[i].FS.Mountpoint, got, want)
		}
	}
}

// The root filesystem keeps /boot/efi, empty: its content is the ESP's.
// Hard links out of the mountpoint survive; the filesystem checks clean.
func TestDropNestedLeavesMountpointsEmpty(t *testing.T) {
	if _, err := exec.LookPath("debugfs"); err != nil {
		t.Fatal("debugfs (e2fsprogs, Priority: required in Debian) is missing")
	}
	tree := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(tree, "boot/efi/EFI/BOOT"), 0o700))
	must(os.MkdirAll(filepath.Join(tree, "etc"), 0o755))
	must(os.WriteFile(filepath.Join(tree, "boot/efi/EFI/BOOT/BOOTX64.EFI"), []byte("efi"), 0o644))
	must(os.WriteFile(filepath.Join(tree, "boot/vmlinuz"), []byte("kernel"), 0o644))
	must(os.Symlink("EFI/BOOT/BOOTX64.EFI", filepath.Join(tree, "boot/efi/link")))
	must(os.WriteFile(filepath.Join(tree, "etc/shared"), []byte("both"), 0o644))
	must(os.Link(filepath.Join(tree, "etc/shared"), filepath.Join(tree, "boot/efi/shared")))
	raw := filepath.Join(t.TempDir(), "root.ext4")
	d := &Disk{Partitions: []Partition{
		{Start: 0, Size: 32 << 20, FS: &Filesystem{Type: "ext4", Mountpoint: "/"}},
		{FS: &Filesystem{Type: "vfat", Mountpoint: "/boot/efi"}},
	}}
	r := &testRunner{}
	must(run(r, "mkfs.ext4", "-q", "-F", "-d", tree, raw, "32M"))
	must(d.dropNested(r, 0, tree, raw, nil))
	ls := func(dir string) string {
		out, err := exec.Command("debugfs", "-R", "ls "+dir, raw).CombinedOutput()
		must(err)
		return string(out)
	}
	if got := ls("/boot/efi"); strings.Contains(got, "EFI") || strings.Contains(got, "link") || strings.Contains(got, "shared") {
		t.Errorf("/boot/efi in the root filesystem still holds:\n%s", got)
	}
	if got := ls("/boot"); !strings.Contains(got, "vmlinuz") || !strings.Contains(got, "efi") {
		t.Errorf("/boot lost its own content or the mountpoint:\n%s", got)
	}
	stat, err := exec.Command("debugfs", "-R", "stat /etc/shared", raw).CombinedOutput()
	must(err)
	if !strings.Contains(string(stat), "Links: 1") {
		t.Errorf("/etc/shared after removing its other link:\n%s", stat)
	}
	if out, err := exec.Command("e2fsck", "-fn", raw).CombinedOutput(); err != nil {
		t.Errorf("e2fsck: %v\n%s\n%s", err, out, &r.log)
	}
	if mp, _ := exec.Command("debugfs", "-R", "stat /boot/efi", raw).CombinedOutput(); !strings.Contains(string(mp), "Type: directory    Mode:  0700") {
		t.Errorf("the mountpoint /boot/efi is not kept as it was:\n%s", mp)
	}
}

// Quotes and backslashes are quoted for debugfs; a line break cannot be.
func TestRemovalScriptRefusesUnquotableNames(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{`a"b`, `c\d`} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := removalScript(dir, "/boot/efi")
	script := string(raw)
	if err != nil || !strings.Contains(script, `rm "/boot/efi/a""b"`) || !strings.Contains(script, `rm "/boot/efi/c\d"`) {
		t.Errorf("got %v\n%s", err, script)
	}
	if err := os.WriteFile(filepath.Join(dir, "e\nf"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := removalScript(dir, "/boot/efi"); err == nil || !strings.Contains(err.Error(), `e\nf`) {
		t.Errorf("got %v", err)
	}
}
