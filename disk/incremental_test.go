package disk

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// gptTestDisk is a 64 MiB GPT disk: a BIOS boot partition, an ESP below
// an ext4 root, GRUB's BIOS boot code.
func gptTestDisk(t *testing.T) *Disk {
	t.Helper()
	var o Options
	if err := json.Unmarshal([]byte(`{"size": "64M", "bootloader": {"type": "grub2", "platform": "i386-pc"},
		"root_fs_uuid": "6e4ff95f-f662-45ee-a82a-bdf44a2d0b75", "partitions": [
		{"start": 2048, "size": 2048, "type": "21686148-6449-6E6F-744E-656564454649"},
		{"start": 4096, "size": 40960, "filesystem": {"type": "vfat", "mountpoint": "/boot/efi"}},
		{"start": 45056, "size": 85976, "filesystem": {"type": "ext4", "mountpoint": "/"}}]}`), &o); err != nil {
		t.Fatal(err)
	}
	d, warnings, err := o.Layout()
	if err != nil || len(warnings) != 0 {
		t.Fatalf("layout: %v %v", err, warnings)
	}
	return d
}

type treeFile struct {
	path, data string
	mode       os.FileMode
}

func writeTree(t *testing.T, root string, files []treeFile) {
	t.Helper()
	for _, f := range files {
		p := filepath.Join(root, f.path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		os.RemoveAll(p)
		if err := os.WriteFile(p, []byte(f.data), f.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, f.mode); err != nil {
			t.Fatal(err)
		}
	}
}

// baseAndChangedTrees writes a tree and a copy of it with the kinds of
// change late stages make; edit may change the copy further.
func baseAndChangedTrees(t *testing.T, edit func(cur string)) (base, cur string) {
	t.Helper()
	base, cur = t.TempDir(), t.TempDir()
	big := strings.Repeat("0123456789abcdef", 1<<16) // 1 MiB
	writeTree(t, base, []treeFile{
		{"boot/efi/EFI/BOOT/BOOTX64.EFI", "efi", 0o644},
		{"boot/vmlinuz", big, 0o644},
		{"etc/hostname", "base\n", 0o644},
		{"etc/shadow", "root:*:1::::::\n", 0o640},
		{"etc/gone/a", "a", 0o644},
		{"etc/gone/deeper/b", "b", 0o644},
		{"usr/bin/tool", "#!/bin/sh\n", 0o755},
		{"usr/share/same", big, 0o644},
		{"usr/share/touched", "same bytes", 0o644},
		{"var/becomes-dir", "file", 0o644},
		{"rootfile", "at the top", 0o644},
		{"rootdir/x", "in a directory at the top", 0o644},
	})
	mustRun(t, "ln", "-s", "tool", filepath.Join(base, "usr/bin/link"))
	mustRun(t, "ln", "-s", "boot/vmlinuz", filepath.Join(base, "vmlinuz"))
	mustRun(t, "mkfifo", filepath.Join(base, "var/fifo"))
	old := time.Unix(1600000000, 0)
	mustRun(t, "touch", "-h", "-d", "@1600000000", filepath.Join(base, "usr/bin/link"))
	filepath.Walk(base, func(p string, _ os.FileInfo, _ error) error { return os.Chtimes(p, old, old) })
	mustRun(t, "cp", "-a", base+"/.", cur)

	writeTree(t, cur, []treeFile{
		{"etc/hostname", "changed\n", 0o644},
		{"etc/new/dir/file", "new", 0o600},
		{"boot/efi/EFI/debian/grub.cfg", "esp", 0o644},
		{"boot/grub/grub.cfg", "menuentry", 0o644},
	})
	os.RemoveAll(filepath.Join(cur, "etc/gone"))
	os.Remove(filepath.Join(cur, "var/becomes-dir"))
	os.MkdirAll(filepath.Join(cur, "var/becomes-dir/x"), 0o750)
	os.Remove(filepath.Join(cur, "usr/bin/link"))
	mustRun(t, "ln", "-s", "/usr/bin/tool", filepath.Join(cur, "usr/bin/link"))
	os.Chmod(filepath.Join(cur, "usr/bin/tool"), 0o4755)
	// Names at the top, changed after debugfs worked in a directory
	// below (etc/new/dir): a kernel's symlink made again (an apt stage
	// run again under cached late stages), a file and a directory gone.
	os.Remove(filepath.Join(cur, "vmlinuz"))
	mustRun(t, "ln", "-s", "boot/vmlinuz", filepath.Join(cur, "vmlinuz"))
	os.Remove(filepath.Join(cur, "rootfile"))
	os.RemoveAll(filepath.Join(cur, "rootdir"))
	os.Chtimes(filepath.Join(cur, "usr/share/touched"), time.Unix(1700000000, 0), time.Unix(1700000000, 0))
	if os.Geteuid() == 0 {
		os.Lchown(filepath.Join(cur, "etc/shadow"), 0, 42)
	}
	if edit != nil {
		edit(cur)
	}
	return base, cur
}

func mustRun(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

// assembleBoth writes the disk of cur whole, and onto the base of base.
func assembleBoth(t *testing.T, base, cur string, epoch *int64) (full, inc string, log string) {
	t.Helper()
	needTools(t, "sfdisk", "mkfs.ext4", "debugfs", "mkfs.fat", "mcopy", "grub-mkimage", "e2fsck")
	if _, err := GRUBModules(t.TempDir(), "i386-pc"); err != nil {
		t.Fatalf("%v: run `make env` (grub-pc-bin)", err)
	}
	dir := t.TempDir()
	full, inc = filepath.Join(dir, "full.raw"), filepath.Join(dir, "inc.raw")
	r := &testRunner{}
	if err := gptTestDisk(t).Assemble(r, cur, full, epoch); err != nil {
		t.Fatalf("%v\n%s", err, &r.log)
	}
	baseRaw := filepath.Join(dir, "base.raw")
	if err := gptTestDisk(t).AssembleBase(r, base, baseRaw, epoch); err != nil {
		t.Fatalf("%v\n%s", err, &r.log)
	}
	r.log.Reset()
	if err := gptTestDisk(t).AssembleOnto(r, baseRaw, base, cur, inc, epoch); err != nil {
		t.Fatalf("%v\n%s", err, &r.log)
	}
	return full, inc, r.log.String()
}

const rootStart, rootSize = 45056 * 512, 85976 * 512

// dumpRoot extracts the root filesystem of raw, after checking it.
func dumpRoot(t *testing.T, raw string) string {
	t.Helper()
	part := raw + ".root"
	mustRun(t, "dd", "if="+raw, "of="+part, "bs=512", fmt.Sprint("skip=", rootStart/512), fmt.Sprint("count=", rootSize/512), "conv=sparse", "status=none")
	if out, err := exec.Command("e2fsck", "-fn", part).CombinedOutput(); err != nil {
		t.Errorf("e2fsck of %s: %v\n%s", filepath.Base(raw), err, out)
	}
	dir := t.TempDir()
	mustRun(t, "debugfs", "-R", "rdump / "+dir, part)
	return dir
}

// describe lists a tree: each name's type, mode, owner, time and content.
func describe(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." {
			return nil // the dump's own directory
		}
		st := fi.Sys().(*syscall.Stat_t)
		s := fmt.Sprintf("%v %d:%d", fi.Mode(), st.Uid, st.Gid)
		switch {
		case fi.Mode().IsRegular():
			data, _ := os.ReadFile(p)
			s += fmt.Sprintf(" mtime %d %q", fi.ModTime().Unix(), data)
		case fi.Mode()&os.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			s = fmt.Sprintf("link -> %s", target)
		case fi.IsDir() && rel != "lost+found": // whose time is mkfs.ext4's
			s += fmt.Sprintf(" mtime %d", fi.ModTime().Unix())
		}
		out[rel] = s
		return nil
	})
	return out
}

// The disk made onto the base has the disk made whole's root filesystem
// (every name, type, mode, owner, time and content; e2fsck clean), and
// its every other byte: partition table, ESP, BIOS boot code.
func TestAssembleOntoIsAssemble(t *testing.T) {
	epoch := int64(1650000000)
	for name, e := range map[string]*int64{"no epoch": nil, "source-epoch": &epoch} {
		t.Run(name, func(t *testing.T) {
			base, cur := baseAndChangedTrees(t, nil)
			full, inc, log := assembleBoth(t, base, cur, e)
			if !strings.Contains(log, "from the base image") {
				t.Errorf("the root filesystem was not brought up to date:\n%s", log)
			}
			want, got := describe(t, dumpRoot(t, full)), describe(t, dumpRoot(t, inc))
			for k, w := range want {
				if got[k] != w {
					t.Errorf("%s: %s, want %s", k, got[k], w)
				}
			}
			for k, g := range got {
				if _, ok := want[k]; !ok {
					t.Errorf("%s: %s, which the whole disk does not have", k, g)
				}
			}
			if got["etc/hostname"] == "" || got["boot/efi/EFI"] != "" || got["etc/gone"] != "" {
				t.Errorf("the comparison saw too little: %v", got)
			}
			a, b := readFile(t, full), readFile(t, inc)
			if !bytes.Equal(a[:rootStart], b[:rootStart]) || !bytes.Equal(a[rootStart+rootSize:], b[rootStart+rootSize:]) {
				t.Error("outside the root filesystem, the disks differ")
			}
		})
	}
}

// A change debugfs cannot write as mkfs.ext4 would (a hard link, here)
// makes the filesystem anew: the very disk Assemble writes.
func TestAssembleOntoRemakes(t *testing.T) {
	epoch := int64(1650000000)
	base, cur := baseAndChangedTrees(t, func(cur string) {
		mustRun(t, "ln", filepath.Join(cur, "etc/hostname"), filepath.Join(cur, "etc/hostname2"))
	})
	full, inc, log := assembleBoth(t, base, cur, &epoch)
	if !strings.Contains(log, "made anew") || !strings.Contains(log, "hard links") {
		t.Errorf("the log does not say the filesystem was made anew:\n%s", log)
	}
	if !bytes.Equal(readFile(t, full), readFile(t, inc)) {
		t.Error("the remade disk differs from the whole one")
	}
}

// An extended attribute added late also makes the filesystem anew.
func TestTreeDiffExtendedAttributes(t *testing.T) {
	base, cur := baseAndChangedTrees(t, nil)
	if err := unix.Lsetxattr(filepath.Join(cur, "etc/new/dir/file"), "user.osbuildkit", []byte("1"), 0); err != nil {
		t.Skipf("no user extended attributes here: %v", err)
	}
	if _, _, err := diffTrees(base, cur, nil, nil); err == nil || !strings.Contains(err.Error(), "extended attributes") {
		t.Errorf("got %v", err)
	}
}

// Two trees that are the same give no commands.
func TestTreeDiffSame(t *testing.T) {
	base, _ := baseAndChangedTrees(t, nil)
	script, n, err := diffTrees(base, base, nil, nil)
	if err != nil || n != 0 || len(script) != 0 {
		t.Errorf("got %d changes, %v:\n%s", n, err, script)
	}
}

// freezeAccessTimes sets the access time of everything under root an hour
// ahead, past its change time, so that reading it leaves the time as it is.
func freezeAccessTimes(t *testing.T, root string) {
	t.Helper()
	ahead := unix.NsecToTimespec(time.Now().Add(time.Hour).UnixNano())
	err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		mtime := unix.NsecToTimespec(fi.ModTime().UnixNano())
		return unix.UtimesNanoAt(unix.AT_FDCWD, p, []unix.Timespec{ahead, mtime}, unix.AT_SYMLINK_NOFOLLOW)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The commands follow from the trees' contents, not from how they are
// stored: a changed tree sharing its unchanged files' inodes with the base
// (overlay layers) and a full copy of it give the same script.
func TestTreeDiffSameOnAnyStorage(t *testing.T) {
	base, _ := baseAndChangedTrees(t, nil)
	shared := filepath.Join(t.TempDir(), "shared")
	mustRun(t, "cp", "-al", base, shared)
	// Changes that replace files, as a copy-up does, never edit in place.
	os.Remove(filepath.Join(shared, "etc/hostname"))
	writeTree(t, shared, []treeFile{{"etc/hostname", "changed\n", 0o644}, {"etc/new", "new", 0o600}})
	os.RemoveAll(filepath.Join(shared, "etc/gone"))
	// cp reads the tree it copies, and a read moves an access time not
	// newer than the change time (relatime) to the second of the read,
	// which may be the second after the one the copy keeps.
	freezeAccessTimes(t, shared)
	copied := filepath.Join(t.TempDir(), "copied")
	mustRun(t, "cp", "-a", shared, copied)
	a, n, err := diffTrees(base, shared, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := diffTrees(base, copied, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 || string(a) != strings.ReplaceAll(string(b), copied, shared) {
		t.Errorf("%d changes; shared inodes:\n%s\nfull copy:\n%s", n, a, b)
	}
}
