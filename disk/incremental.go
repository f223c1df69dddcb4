package disk

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// Incremental assembly: a disk image of a tree whose last stages changed
// little (hostname, users, fstab, the bootloader's configuration) is made
// in two steps. AssembleBase writes the partition table and the ext4
// filesystems of the tree as it was before those stages, a step BuildKit
// caches; AssembleOnto copies that base and brings each ext4 filesystem up
// to date with debugfs (treeDiff), then writes the other filesystems and
// the BIOS boot code as Assemble does. A late stage changed then costs a
// copy of the base and a few debugfs commands, not a mkfs.ext4 -d of the
// whole tree. The filesystems hold what Assemble's would: the same names,
// contents, modes, owners and times (the test compares them); where their
// blocks lie may differ.

// AssembleBase writes the base of an incremental assembly to raw: the
// partition table and the ext4 filesystems of tree, nothing else.
func (d *Disk) AssembleBase(r Runner, tree, raw string, epoch *int64) error {
	d.fillIdentities()
	if err := newSparse(raw, d.Size); err != nil {
		return err
	}
	if err := d.WriteTable(r, raw); err != nil {
		return err
	}
	for i, p := range d.Partitions {
		if p.FS == nil || p.FS.Type != "ext4" {
			continue
		}
		if err := d.makeFilesystem(r, i, tree, raw, epoch); err != nil {
			return fmt.Errorf("partition %d: %w", i+1, err)
		}
	}
	return nil
}

// AssembleOnto writes to raw the disk Assemble would write of tree, from
// base, which AssembleBase wrote of baseTree with the same options.
func (d *Disk) AssembleOnto(r Runner, base, baseTree, tree, raw string, epoch *int64) error {
	d.fillIdentities()
	fi, err := os.Stat(base)
	if err != nil {
		return err
	}
	if fi.Size() != d.Size {
		return fmt.Errorf("the base disk image has %d bytes, not the disk's %d", fi.Size(), d.Size)
	}
	cp := exec.Command("cp", "--sparse=always", "--reflink=auto", base, raw)
	if err := r.Exec(cp); err != nil {
		return fmt.Errorf("copying the base disk image: %w", err)
	}
	if err := os.Chmod(raw, 0o644); err != nil {
		return err
	}
	for i, p := range d.Partitions {
		if p.FS == nil {
			continue
		}
		if p.FS.Type == "ext4" {
			err = d.updateExt4(r, i, baseTree, tree, raw, epoch)
		} else {
			err = d.makeFilesystem(r, i, tree, raw, epoch)
		}
		if err != nil {
			return fmt.Errorf("partition %d: %w", i+1, err)
		}
	}
	return d.installBIOSBoot(r, tree, raw)
}

// updateExt4 brings partition i's ext4 filesystem, made of baseTree, up to
// date with tree; where debugfs cannot write a change as mkfs.ext4 would,
// it makes the filesystem anew.
func (d *Disk) updateExt4(r Runner, i int, baseTree, tree, raw string, epoch *int64) error {
	p := d.Partitions[i]
	old, err := sourceDir(baseTree, p.FS.Mountpoint)
	if err != nil {
		return err
	}
	cur, err := sourceDir(tree, p.FS.Mountpoint)
	if err != nil {
		return err
	}
	var skip []string
	for _, m := range d.nestedMountpoints(i) {
		rel, _ := filepath.Rel(path.Clean(p.FS.Mountpoint), m)
		skip = append(skip, filepath.ToSlash(rel))
	}
	var script []byte
	changes := 0
	started := time.Now()
	if old != "" && cur != "" {
		script, changes, err = diffTrees(old, cur, skip, epoch)
	} else if old != cur {
		err = fmt.Errorf("%w: the mountpoint is in only one of the trees", errNotIncremental)
	}
	if errors.Is(err, errNotIncremental) {
		r.Logf("partition %d: ext4 %s made anew (%v)", i+1, p.FS.Mountpoint, err)
		if err := punch(raw, p.Start, p.Size); err != nil {
			return err
		}
		return d.makeFilesystem(r, i, tree, raw, epoch)
	}
	if err != nil {
		return err
	}
	compared := time.Since(started)
	if len(script) > 0 {
		if err := debugfs(r, raw, p.Start, script, epoch, "writing the tree's late changes"); err != nil {
			return err
		}
	}
	r.Logf("partition %d: ext4 %s (UUID %s) from the base image, %d changes (trees compared in %.1f s, written in %.1f s)",
		i+1, p.FS.Mountpoint, p.FS.UUID, changes, compared.Seconds(), (time.Since(started) - compared).Seconds())
	return nil
}

// newSparse creates path as a sparse file of size bytes.
func newSparse(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// punch turns size bytes of path at off into a hole: zeros, as a fresh
// image has there.
func punch(path string, off, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := unix.Fallocate(int(f.Fd()), unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, off, size); err != nil {
		return fmt.Errorf("zeroing the partition before making it anew: %w", err)
	}
	return nil
}
