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
// base, which AssembleBase wrote of baseTree with the same options. The
// trees are compared while the base is copied.
func (d *Disk) AssembleOnto(r Runner, base, baseTree, tree, raw string, epoch *int64) error {
	d.fillIdentities()
	fi, err := os.Stat(base)
	if err != nil {
		return err
	}
	if fi.Size() != d.Size {
		return fmt.Errorf("the base disk image has %d bytes, not the disk's %d", fi.Size(), d.Size)
	}
	copied := make(chan error, 1)
	go func() { copied <- copyBase(r, base, raw) }()
	updates := map[int]*ext4Update{}
	for i, p := range d.Partitions {
		if p.FS != nil && p.FS.Type == "ext4" {
			if updates[i], err = d.diffExt4(i, baseTree, tree, epoch); err != nil {
				<-copied
				return fmt.Errorf("partition %d: %w", i+1, err)
			}
		}
	}
	if err := <-copied; err != nil {
		return err
	}
	for i, p := range d.Partitions {
		if p.FS == nil {
			continue
		}
		if u := updates[i]; u != nil {
			err = d.applyExt4(r, i, u, tree, raw, epoch)
		} else {
			err = d.makeFilesystem(r, i, tree, raw, epoch)
		}
		if err != nil {
			return fmt.Errorf("partition %d: %w", i+1, err)
		}
	}
	return d.installBIOSBoot(r, tree, raw)
}

// copyBase copies the base disk image to raw, keeping its holes.
func copyBase(r Runner, base, raw string) error {
	cp := exec.Command("cp", "--sparse=always", "--reflink=auto", base, raw)
	if err := r.Exec(cp); err != nil {
		return fmt.Errorf("copying the base disk image: %w", err)
	}
	return os.Chmod(raw, 0o644)
}

// ext4Update is what brings an ext4 filesystem of the base up to date: a
// debugfs script, or, where debugfs cannot write a change as mkfs.ext4
// would, why the filesystem is made anew (remake).
type ext4Update struct {
	script   []byte
	changes  int
	compared time.Duration
	remake   error
}

// diffExt4 compares partition i's part of baseTree, of which the base's
// filesystem was made, with tree's.
func (d *Disk) diffExt4(i int, baseTree, tree string, epoch *int64) (*ext4Update, error) {
	p := d.Partitions[i]
	old, err := sourceDir(baseTree, p.FS.Mountpoint)
	if err != nil {
		return nil, err
	}
	cur, err := sourceDir(tree, p.FS.Mountpoint)
	if err != nil {
		return nil, err
	}
	var skip []string
	for _, m := range d.nestedMountpoints(i) {
		rel, _ := filepath.Rel(path.Clean(p.FS.Mountpoint), m)
		skip = append(skip, filepath.ToSlash(rel))
	}
	u := &ext4Update{}
	started := time.Now()
	if old != "" && cur != "" {
		u.script, u.changes, err = diffTrees(old, cur, skip, epoch)
	} else if old != cur {
		err = fmt.Errorf("%w: the mountpoint is in only one of the trees", errNotIncremental)
	}
	u.compared = time.Since(started)
	if errors.Is(err, errNotIncremental) {
		u.remake, err = err, nil
	}
	return u, err
}

// applyExt4 brings partition i's ext4 filesystem in raw up to date with
// tree, as u says.
func (d *Disk) applyExt4(r Runner, i int, u *ext4Update, tree, raw string, epoch *int64) error {
	p := d.Partitions[i]
	if u.remake != nil {
		r.Logf("partition %d: ext4 %s made anew (%v)", i+1, p.FS.Mountpoint, u.remake)
		if err := punch(raw, p.Start, p.Size); err != nil {
			return err
		}
		return d.makeFilesystem(r, i, tree, raw, epoch)
	}
	started := time.Now()
	if len(u.script) > 0 {
		if err := debugfs(r, raw, p.Start, u.script, epoch, "writing the tree's late changes"); err != nil {
			return err
		}
	}
	r.Logf("partition %d: ext4 %s (UUID %s) from the base image, %d changes (trees compared in %.1f s, written in %.1f s)",
		i+1, p.FS.Mountpoint, p.FS.UUID, u.changes, u.compared.Seconds(), time.Since(started).Seconds())
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
