package stages

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Assemble writes the disk image to raw (a new sparse file) from the tree
// at tree. Filesystem UUIDs the manifest leaves out are derived from the
// partition table's, except the root filesystem's, which comes from the
// tree's GRUB configuration when the grub2 stage names it.
func (d *Disk) Assemble(rt *Runtime, tree, raw string) error {
	d.fillIdentities(tree)
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
	if err := d.partition(rt, raw); err != nil {
		return err
	}
	for i := range d.Partitions {
		if err := d.makeFilesystem(rt, i, tree, raw); err != nil {
			return fmt.Errorf("partition %d: %w", i+1, err)
		}
	}
	return d.installBIOSBoot(rt, tree, raw)
}

// fillIdentities gives every partition and filesystem an identity.
func (d *Disk) fillIdentities(tree string) {
	if d.PTUUID == "" {
		d.PTUUID = derivedUUID("ptuuid", strconv.FormatInt(d.Size, 10))
	}
	for i := range d.Partitions {
		p := &d.Partitions[i]
		n := strconv.Itoa(i + 1)
		if p.UUID == "" && d.PTType == "gpt" {
			p.UUID = derivedUUID(d.PTUUID, "partition", n)
		}
		fs := p.FS
		if fs == nil || fs.UUID != "" {
			continue
		}
		if fs.Mountpoint == "/" {
			fs.UUID = grubRootUUID(tree)
		}
		if fs.UUID == "" {
			fs.UUID = derivedUUID(d.PTUUID, "filesystem", n)
		}
	}
}

// grubRootUUID reads the root filesystem UUID the grub2 stage configured.
func grubRootUUID(tree string) string {
	f, err := os.Open(filepath.Join(tree, "boot/grub/grub.cfg"))
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), RootMarker); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// volumeID turns a UUID into the 32-bit serial a FAT filesystem has.
func volumeID(uuid string) string {
	h := strings.ReplaceAll(uuid, "-", "")
	if len(h) == 8 {
		return h
	}
	return derivedUUID(uuid)[:8]
}

func (d *Disk) partition(rt *Runtime, raw string) error {
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
		fmt.Fprintf(&b, "start=%d, size=%d, type=%s", p.Start/sector, p.Size/sector, p.Type)
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
	cmd := rt.Command("sfdisk", "--quiet", "--no-reread", "--no-tell-kernel", raw)
	cmd.Stdin = strings.NewReader(b.String())
	if err := cmd.Run(); err != nil {
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
	dir, err := SecureJoin(tree, mountpoint)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(dir); err != nil {
		return "", nil // nothing to copy in
	}
	return dir, nil
}

func (d *Disk) makeFilesystem(rt *Runtime, i int, tree, raw string) error {
	p := d.Partitions[i]
	fs := p.FS
	if fs == nil {
		return nil
	}
	src, err := sourceDir(tree, fs.Mountpoint)
	if err != nil {
		return err
	}
	rt.Logf("partition %d: %s %s (UUID %s) at byte %d, %s", i+1, fs.Type, fs.Mountpoint, fs.UUID, p.Start, humanBytes(p.Size))
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
		if err := e2fsTimes(rt).Run("mkfs.ext4", append(args, raw, strconv.FormatInt(p.Size/1024, 10)+"k")...); err != nil {
			return err
		}
		if src == "" {
			return nil
		}
		return d.dropNested(rt, i, tree, raw)
	case "vfat":
		args := []string{"--offset", strconv.FormatInt(p.Start/sector, 10), "-i", volumeID(fs.UUID)}
		if fs.FatSize != 0 {
			args = append(args, "-F", strconv.Itoa(fs.FatSize))
		}
		if fs.FatSize == 32 {
			// FAT32 needs at least 65525 clusters, or mtools (and some
			// firmware) refuse it: pick clusters small enough.
			spc := int64(8)
			for spc > 1 && p.Size/(spc*sector) < 66000 {
				spc /= 2
			}
			args = append(args, "-s", strconv.FormatInt(spc, 10))
		}
		if fs.Label != "" {
			args = append(args, "-n", fs.Label)
		}
		if err := rt.Run("mkfs.fat", append(args, raw, strconv.FormatInt(p.Size/1024, 10))...); err != nil {
			return err
		}
		return fillFAT(rt, src, fmt.Sprintf("%s@@%d", raw, p.Start))
	case "btrfs", "swap":
		return makeInTempFile(rt, p, src, raw)
	}
	return fmt.Errorf("%s filesystems cannot be written without mounting them; use the privileged path (org.osbuild.mkfs.%s on an org.osbuild.loopback device, with security.insecure)", fs.Type, fs.Type)
}

// e2fsTimes is rt for e2fsprogs tools: with the pipeline's source-epoch,
// the times they write (creation, deletion, superblock) are fixed.
func e2fsTimes(rt *Runtime) *Runtime {
	if rt.SourceEpoch == nil {
		return rt
	}
	return rt.WithEnv("E2FSPROGS_FAKE_TIME=" + strconv.FormatInt(*rt.SourceEpoch, 10))
}

// fillFAT copies a directory into a FAT filesystem with mtools.
func fillFAT(rt *Runtime, src, image string) error {
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
	cmd := rt.Command("mcopy", append(args, "::/")...)
	cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("copying into the FAT filesystem with mcopy: %w", err)
	}
	return nil
}

// makeInTempFile builds filesystems whose tools cannot write at an offset
// in a file of the partition's size, then copies it into place, sparse.
func makeInTempFile(rt *Runtime, p Partition, src, raw string) error {
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
		if err := rt.Run("mkfs.btrfs", append(args, tmp)...); err != nil {
			return err
		}
	case "swap":
		args := []string{"-U", fs.UUID}
		if fs.Label != "" {
			args = append(args, "-L", fs.Label)
		}
		if err := rt.Run("mkswap", append(args, tmp)...); err != nil {
			return err
		}
	}
	return rt.Run("dd", "if="+tmp, "of="+raw, "bs=1M", "oflag=seek_bytes", "seek="+strconv.FormatInt(p.Start, 10), "conv=notrunc,sparse", "status=none")
}
