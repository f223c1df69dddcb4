package disk

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// Assemble writes the disk image to raw (a new sparse file) from the tree
// at tree. Identities the manifest leaves out (partition table, partitions,
// filesystems) are derived from the disk's size and the partition table's
// UUID, so the same manifest always gives the same disk. With epoch (the
// pipeline's source-epoch), the times ext4 records of itself are fixed.
func (d *Disk) Assemble(r Runner, tree, raw string, epoch *int64) error {
	d.fillIdentities()
	if err := newSparse(raw, d.Size); err != nil {
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
