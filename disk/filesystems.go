package disk

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/osbuildkit/osbuildkit/internal/securejoin"
)

// sourceDir is what goes into a filesystem: the tree below its mountpoint.
// For ext4, dropNested then removes what belongs to nested mountpoints.
func sourceDir(tree, mountpoint string) (string, error) {
	if mountpoint == "" {
		return "", nil
	}
	dir, err := securejoin.Join(tree, mountpoint)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(dir); err != nil {
		return "", nil // nothing to copy in
	}
	return dir, nil
}

func (d *Disk) makeFilesystem(r Runner, i int, tree, raw string, epoch *int64) error {
	p := d.Partitions[i]
	fs := p.FS
	if fs == nil {
		return nil
	}
	src, err := sourceDir(tree, fs.Mountpoint)
	if err != nil {
		return err
	}
	r.Logf("partition %d: %s %s (UUID %s) at byte %d, %s", i+1, fs.Type, fs.Mountpoint, fs.UUID, p.Start, HumanBytes(p.Size))
	switch fs.Type {
	case "ext4":
		if err := makeExt4(r, p, src, raw, epoch); err != nil || src == "" {
			return err
		}
		if epoch != nil {
			if err := clampTimes(r, p, src, raw, *epoch); err != nil {
				return err
			}
		}
		return d.dropNested(r, i, tree, raw, epoch)
	case "vfat":
		if err := makeFAT(r, p, raw); err != nil {
			return err
		}
		return fillFAT(r, src, fmt.Sprintf("%s@@%d", raw, p.Start), epoch)
	case "btrfs", "swap":
		return makeInTempFile(r, p, src, raw)
	}
	return fmt.Errorf("%s filesystems cannot be written without mounting them; use the privileged path (org.osbuild.mkfs.%s on an org.osbuild.loopback device, with security.insecure)", fs.Type, fs.Type)
}

// makeExt4 writes an ext4 filesystem holding src into the partition. The
// directory hash seed follows the UUID and, with the pipeline's
// source-epoch, the filesystem's own times are fixed: the same tree gives
// the same bytes.
func makeExt4(r Runner, p Partition, src, raw string, epoch *int64) error {
	fs := p.FS
	extended := fmt.Sprintf("offset=%d,root_owner=0:0", p.Start)
	if fs.UUID != "" {
		extended += ",hash_seed=" + fs.UUID
	}
	args := []string{"-q", "-F", "-t", "ext4", "-U", fs.UUID, "-E", extended}
	if fs.Label != "" {
		args = append(args, "-L", fs.Label)
	}
	if src != "" {
		args = append(args, "-d", src)
	}
	mkfs := exec.Command("mkfs.ext4", append(args, raw, strconv.FormatInt(p.Size/1024, 10)+"k")...)
	return r.Exec(e2fsTimes(mkfs, epoch))
}

// makeFAT writes an empty FAT filesystem into the partition.
func makeFAT(r Runner, p Partition, raw string) error {
	fs := p.FS
	args := []string{"--offset", strconv.FormatInt(p.Start/Sector, 10), "-i", volumeID(fs.UUID)}
	if fs.FatSize != 0 {
		args = append(args, "-F", strconv.Itoa(fs.FatSize))
	}
	if fs.FatSize == 32 {
		// FAT32 needs at least 65525 clusters, or mtools (and some
		// firmware) refuse it: pick clusters small enough.
		spc := int64(8)
		for spc > 1 && p.Size/(spc*Sector) < 66000 {
			spc /= 2
		}
		args = append(args, "-s", strconv.FormatInt(spc, 10))
	}
	if fs.Label != "" {
		args = append(args, "-n", fs.Label)
	}
	return run(r, "mkfs.fat", append(args, raw, strconv.FormatInt(p.Size/1024, 10))...)
}

// e2fsTimes is cmd, an e2fsprogs tool: with the pipeline's source-epoch,
// the times it writes (creation, deletion, superblock) are fixed.
func e2fsTimes(cmd *exec.Cmd, epoch *int64) *exec.Cmd {
	if epoch == nil {
		return cmd
	}
	return withEnv(cmd, "E2FSPROGS_FAKE_TIME="+strconv.FormatInt(*epoch, 10))
}

// fillFAT copies a directory into a FAT filesystem with mtools, keeping
// each file's modification time; with a source-epoch, every time mtools
// writes is the epoch (SOURCE_DATE_EPOCH), so the filesystem does not carry
// when the builder wrote the tree.
func fillFAT(r Runner, src, image string, epoch *int64) error {
	if src == "" {
		return nil
	}
	entries, err := os.ReadDir(src)
	if err != nil || len(entries) == 0 {
		return err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, filepath.Join(src, e.Name()))
	}
	sort.Strings(names)
	args := []string{"-i", image, "-s", "-p", "-Q"}
	env := []string{"MTOOLS_SKIP_CHECK=1"}
	if epoch == nil {
		args = append(args, "-m")
	} else {
		env = append(env, "SOURCE_DATE_EPOCH="+strconv.FormatInt(*epoch, 10))
	}
	args = append(args, names...)
	if err := r.Exec(withEnv(exec.Command("mcopy", append(args, "::/")...), env...)); err != nil {
		return fmt.Errorf("copying into the FAT filesystem with mcopy: %w", err)
	}
	return nil
}

// makeInTempFile builds filesystems whose tools cannot write at an offset
// in a file of the partition's size, then copies it into place, sparse.
func makeInTempFile(r Runner, p Partition, src, raw string) error {
	tmp := raw + ".part"
	defer os.Remove(tmp)
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if err := f.Truncate(p.Size); err != nil {
		f.Close()
		return err
	}
	f.Close()
	fs := p.FS
	switch fs.Type {
	case "btrfs":
		args := []string{"-q", "-f", "-U", fs.UUID}
		if fs.Label != "" {
			args = append(args, "-L", fs.Label)
		}
		if src != "" {
			args = append(args, "--rootdir", src)
		}
		if err := run(r, "mkfs.btrfs", append(args, tmp)...); err != nil {
			return err
		}
	case "swap":
		args := []string{"-U", fs.UUID}
		if fs.Label != "" {
			args = append(args, "-L", fs.Label)
		}
		if err := run(r, "mkswap", append(args, tmp)...); err != nil {
			return err
		}
	}
	return run(r, "dd", "if="+tmp, "of="+raw, "bs=1M", "oflag=seek_bytes", "seek="+strconv.FormatInt(p.Start, 10), "conv=notrunc,sparse", "status=none")
}
