package disk

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/osbuildkit/osbuildkit/internal/securejoin"
)

// Assemble writes the disk image to raw (a new sparse file) from the tree
// at tree. Identities the manifest leaves out (partition table, partitions,
// filesystems) are derived from the disk's size and the partition table's
// UUID, so the same manifest always gives the same disk. With epoch (the
// pipeline's source-epoch), the times ext4 records of itself are fixed.
func (d *Disk) Assemble(r Runner, tree, raw string, epoch *int64) error {
	d.fillIdentities()
	f, err := os.OpenFile(raw, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if err := f.Truncate(d.Size); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := d.WriteTable(r, raw); err != nil {
		return err
	}
	for i := range d.Partitions {
		if err := d.makeFilesystem(r, i, tree, raw, epoch); err != nil {
			return fmt.Errorf("partition %d: %w", i+1, err)
		}
	}
	return d.installBIOSBoot(r, tree, raw)
}

// fillIdentities gives every partition and filesystem an identity.
func (d *Disk) fillIdentities() {
	if d.PTUUID == "" {
		d.PTUUID = DerivedUUID("ptuuid", strconv.FormatInt(d.Size, 10))
	}
	for i := range d.Partitions {
		p := &d.Partitions[i]
		n := strconv.Itoa(i + 1)
		if p.UUID == "" && d.PTType == "gpt" {
			p.UUID = DerivedUUID(d.PTUUID, "partition", n)
		}
		fs := p.FS
		if fs == nil || fs.UUID != "" {
			continue
		}
		fs.UUID = DerivedUUID(d.PTUUID, "filesystem", n)
	}
}

// volumeID turns a UUID into the 32-bit serial a FAT filesystem has.
func volumeID(uuid string) string {
	h := strings.ReplaceAll(uuid, "-", "")
	if len(h) == 8 {
		return h
	}
	return DerivedUUID(uuid)[:8]
}

// WriteTable writes the partition table into target (an image file or a
// block device) with sfdisk.
func (d *Disk) WriteTable(r Runner, target string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "label: %s\nunit: sectors\n", d.PTType)
	if d.PTUUID != "" {
		id := d.PTUUID
		if d.PTType == "dos" && !strings.HasPrefix(id, "0x") {
			id = "0x" + volumeID(id)
		}
		fmt.Fprintf(&b, "label-id: %s\n", id)
	}
	if d.PTType == "gpt" {
		b.WriteString("first-lba: 34\n")
	}
	for _, p := range d.Partitions {
		fmt.Fprintf(&b, "start=%d, size=%d, type=%s", p.Start/Sector, p.Size/Sector, p.Type)
		if p.UUID != "" && d.PTType == "gpt" {
			fmt.Fprintf(&b, ", uuid=%s", p.UUID)
		}
		if p.Name != "" && d.PTType == "gpt" {
			fmt.Fprintf(&b, ", name=%q", p.Name)
		}
		if p.Bootable && d.PTType == "dos" {
			b.WriteString(", bootable")
		}
		if len(p.Attrs) > 0 && d.PTType == "gpt" {
			var attrs []string
			for _, a := range p.Attrs {
				switch a {
				case 0:
					attrs = append(attrs, "RequiredPartition")
				case 2:
					attrs = append(attrs, "LegacyBIOSBootable")
				default:
					attrs = append(attrs, fmt.Sprintf("GUID:%d", a))
				}
			}
			fmt.Fprintf(&b, ", attrs=\"%s\"", strings.Join(attrs, " "))
		}
		b.WriteString("\n")
	}
	cmd := exec.Command("sfdisk", "--quiet", "--no-reread", "--no-tell-kernel", target)
	cmd.Stdin = strings.NewReader(b.String())
	if err := r.Exec(cmd); err != nil {
		return fmt.Errorf("partitioning with sfdisk:\n%s%w", b.String(), err)
	}
	return nil
}

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
	r.Logf("partition %d: %s %s (UUID %s) at byte %d, %s", i+1, fs.Type, fs.Mountpoint, fs.UUID, p.Start, humanBytes(p.Size))
	switch fs.Type {
	case "ext4":
		// The directory hash seed follows the UUID and, with the
		// pipeline's source-epoch, the filesystem's own times are fixed:
		// the same tree gives the same bytes.
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
		if err := r.Exec(e2fsTimes(mkfs, epoch)); err != nil {
			return err
		}
		if src == "" {
			return nil
		}
		return d.dropNested(r, i, tree, raw, epoch)
	case "vfat":
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
		if err := run(r, "mkfs.fat", append(args, raw, strconv.FormatInt(p.Size/1024, 10))...); err != nil {
			return err
		}
		return fillFAT(r, src, fmt.Sprintf("%s@@%d", raw, p.Start))
	case "btrfs", "swap":
		return makeInTempFile(r, p, src, raw)
	}
	return fmt.Errorf("%s filesystems cannot be written without mounting them; use the privileged path (org.osbuild.mkfs.%s on an org.osbuild.loopback device, with security.insecure)", fs.Type, fs.Type)
}

// e2fsTimes is cmd, an e2fsprogs tool: with the pipeline's source-epoch,
// the times it writes (creation, deletion, superblock) are fixed.
func e2fsTimes(cmd *exec.Cmd, epoch *int64) *exec.Cmd {
	if epoch == nil {
		return cmd
	}
	return withEnv(cmd, "E2FSPROGS_FAKE_TIME="+strconv.FormatInt(*epoch, 10))
}

// fillFAT copies a directory into a FAT filesystem with mtools.
func fillFAT(r Runner, src, image string) error {
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
	args := append([]string{"-i", image, "-s", "-p", "-Q", "-m"}, names...)
	if err := r.Exec(withEnv(exec.Command("mcopy", append(args, "::/")...), "MTOOLS_SKIP_CHECK=1")); err != nil {
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
