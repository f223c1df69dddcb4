package disk

import (
	"crypto/sha256"
	"fmt"
	"sort"
	"strings"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// Disk is a partitioned disk image to assemble from a tree, without loop
// devices or mounts: partition table with sfdisk on a plain file,
// filesystems written into their partitions (mkfs.ext4 -d -E offset,
// mkfs.vfat --offset + mtools, mkfs.btrfs --rootdir), GRUB's BIOS boot
// code patched in place.
type Disk struct {
	Size       int64 // bytes
	PTType     string
	PTUUID     string
	Partitions []Partition
	// Bootloader forces the BIOS boot code ("i386-pc", "hybrid"); it is
	// installed anyway when the tree has /boot/grub/i386-pc.
	Bootloader string
	// biosBoot records that Assemble installed GRUB's BIOS boot code.
	biosBoot bool
}

// Partition is one partition, in bytes.
type Partition struct {
	Start, Size int64
	Type        string // GPT type GUID or MBR type code
	UUID        string
	Name        string
	Bootable    bool
	// Attrs are GPT attribute bit numbers.
	Attrs []int
	FS    *Filesystem
}

// Filesystem is what a partition holds.
type Filesystem struct {
	Type       string // ext4, vfat, btrfs, xfs, swap
	FatSize    int    // 12, 16, 32 for vfat; 0 lets mkfs.fat choose
	UUID       string
	Label      string
	Mountpoint string
}

// Partition type identifiers.
const (
	GPTLinux    = "0FC63DAF-8483-4772-8E79-3D69D8477DE4"
	GPTESP      = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
	GPTSwap     = "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F"
	GPTBIOSBoot = "21686148-6449-6E6F-744E-656564454649"
)

// Sector is the sector size, in bytes, of every disk osbuildkit makes.
const Sector = 512

// fit checks the partitions against the disk and each other.
func (d *Disk) fit() ([]*manifest.LocationError, error) {
	var warnings []*manifest.LocationError
	lastUsable := d.Size
	if d.PTType == "gpt" {
		lastUsable = d.Size - 34*Sector // GPT's backup header and entries
	}
	order := make([]int, len(d.Partitions))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return d.Partitions[order[a]].Start < d.Partitions[order[b]].Start })
	firstUsable := int64(34 * Sector)
	if d.PTType == "dos" {
		firstUsable = Sector
	}
	for n, i := range order {
		p := &d.Partitions[i]
		at := manifest.Path{"partitions", i}
		if p.Start < firstUsable {
			return nil, locErr(at.Key("start"), "partition %d starts at byte %d, inside the partition table (first usable byte: %d)", i+1, p.Start, firstUsable)
		}
		if n > 0 {
			prev := d.Partitions[order[n-1]]
			if p.Start < prev.Start+prev.Size {
				return nil, locErr(at.Key("start"), "partition %d overlaps partition %d (which ends at byte %d)", i+1, order[n-1]+1, prev.Start+prev.Size)
			}
		}
		if end := p.Start + p.Size; end > lastUsable {
			if n != len(order)-1 || p.Start >= lastUsable {
				return nil, locErr(at.Key("size"), "partition %d ends at byte %d, past the end of the %d-byte disk", i+1, end, d.Size)
			}
			over := end - lastUsable
			p.Size = (lastUsable - p.Start) / Sector * Sector
			warnings = append(warnings, &manifest.LocationError{Path: at.Key("size"), Err: fmt.Errorf("partition %d ends %s after the usable end of the disk; fitted it to the disk: %d bytes instead of %d", i+1, HumanBytes(over), p.Size, p.Size+over)})
		}
	}
	return warnings, nil
}

// HumanBytes is n in bytes, KiB, MiB or GiB, for messages.
func HumanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

func locErr(path manifest.Path, format string, args ...any) error {
	return &manifest.LocationError{Path: path, Err: fmt.Errorf(format, args...)}
}

func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
				return false
			}
		}
	}
	return true
}

// DerivedUUID is a stable UUID for something the manifest leaves unnamed,
// so the same manifest always gives the same disk.
func DerivedUUID(seed ...string) string {
	h := sha256.Sum256([]byte(strings.Join(seed, "\x00")))
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}
