package disk

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// With a source-epoch, an ext4 filesystem of a tree is the same bytes
// whenever the tree was written: mkfs.ext4 -d copies each file's atime,
// mtime and ctime, and ctime is when the builder wrote it. Older times
// stay. Names with quotes and backslashes (systemd's units) are clamped
// too; a name debugfs cannot take (a line break) is noted and left.
func TestExt4OfATreeIsReproducible(t *testing.T) {
	needTools(t, "debugfs")
	epoch := int64(1700000000)
	old := time.Unix(1600000000, 0)
	image := func(odd string) []byte {
		tree := t.TempDir()
		for _, f := range []string{"etc/hostname", "usr/bin/tool", `usr/lib/systemd/system/system-systemd\x2dcryptsetup.slice`, `etc/a"quote`, odd} {
			p := filepath.Join(tree, f)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(f), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chtimes(filepath.Join(tree, "usr/bin/tool"), old, old); err != nil {
			t.Fatal(err)
		}
		raw := filepath.Join(t.TempDir(), "root.ext4")
		p := Partition{Start: 0, Size: 16 << 20, FS: &Filesystem{Type: "ext4", Mountpoint: "/", UUID: "2a1d3b4c-5e6f-4a7b-8c9d-0e1f2a3b4c5d"}}
		r := &testRunner{}
		if err := makeExt4(r, p, tree, raw, &epoch); err != nil {
			t.Fatal(err)
		}
		if err := clampTimes(r, p, tree, raw, epoch); err != nil {
			t.Fatal(err)
		}
		if odd == "odd\nname" && !strings.Contains(r.log.String(), `1 names in / keep their build times`) {
			t.Errorf("the unquotable name was not noted:\n%s", &r.log)
		}
		stat := func(f string) string {
			out, _ := exec.Command("debugfs", "-R", "stat "+f, raw).CombinedOutput()
			return string(out)
		}
		for _, f := range []string{"/etc/hostname", `"/usr/lib/systemd/system/system-systemd\x2dcryptsetup.slice"`, `"/etc/a""quote"`} {
			if s := stat(f); strings.Count(s, "0x6553f100") != 4 { // ctime, atime, mtime, crtime
				t.Errorf("%s's times are not the epoch:\n%s", f, s)
			}
		}
		if s := stat("/usr/bin/tool"); !strings.Contains(s, "mtime: 0x5f5e1000") {
			t.Errorf("/usr/bin/tool's older mtime was not kept:\n%s", s)
		}
		if out, err := exec.Command("e2fsck", "-fn", raw).CombinedOutput(); err != nil {
			t.Errorf("e2fsck: %v\n%s", err, out)
		}
		data, err := os.ReadFile(raw)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	first := image("var/lib/state")
	time.Sleep(1100 * time.Millisecond) // another second: other ctimes
	if !bytes.Equal(first, image("var/lib/state")) {
		t.Error("the same tree, written a second later, gave another filesystem")
	}
	image("odd\nname")
}

// With a source-epoch, a FAT filesystem of a tree is the same bytes
// whenever the tree was written: mtools writes the epoch for every time
// (without one it keeps each file's modification time).
func TestFATOfATreeIsReproducible(t *testing.T) {
	needTools(t, "mkfs.fat", "mcopy", "mdir")
	epoch := int64(1700000000)
	image := func(epoch *int64) ([]byte, string) {
		tree := t.TempDir()
		if err := os.MkdirAll(filepath.Join(tree, "EFI/BOOT"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tree, "EFI/BOOT/grub.cfg"), []byte("search"), 0o644); err != nil {
			t.Fatal(err)
		}
		raw := filepath.Join(t.TempDir(), "esp.fat")
		p := Partition{Start: 0, Size: 8 << 20, FS: &Filesystem{Type: "vfat", Mountpoint: "/boot/efi", UUID: "7B77-95E7"}}
		r := &testRunner{}
		if err := os.WriteFile(raw, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(raw, p.Size); err != nil {
			t.Fatal(err)
		}
		if err := makeFAT(r, p, raw); err != nil {
			t.Fatalf("%v\n%s", err, &r.log)
		}
		if err := fillFAT(r, tree, raw, epoch); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(raw)
		if err != nil {
			t.Fatal(err)
		}
		dir, _ := exec.Command("mdir", "-i", raw, "::/EFI/BOOT").CombinedOutput()
		return data, string(dir)
	}
	first, dir := image(&epoch)
	if !strings.Contains(dir, "2023-11-14") {
		t.Errorf("grub.cfg's date is not the epoch's:\n%s", dir)
	}
	time.Sleep(2100 * time.Millisecond) // FAT times count in two seconds
	if again, _ := image(&epoch); !bytes.Equal(first, again) {
		t.Error("the same tree, written two seconds later, gave another FAT filesystem")
	}
	if _, dir := image(nil); !strings.Contains(dir, time.Now().Format("2006-01-02")) {
		t.Errorf("without a source-epoch grub.cfg's date is not its own:\n%s", dir)
	}
}
