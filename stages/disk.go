package stages

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
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
	sector      = 512
)

// DiskOptions is the partitioned-disk part of the qemu assembler's and the
// image stage's options, in both forms users write: osbuild's (start and
// size in sectors, "filesystem" objects) and the dialect's (start and size
// in bytes, the filesystem's name as "type", "mountpoint" on the
// partition).
type DiskOptions struct {
	Size       any             `json:"size"`
	PTUUID     string          `json:"ptuuid"`
	PTType     string          `json:"pttype"`
	Partitions []diskPartition `json:"partitions"`
	RootFSUUID string          `json:"root_fs_uuid"`
	RootFSType string          `json:"root_fs_type"`
	RootLabel  string          `json:"root_fs_label"`
	Bootloader *struct {
		Type     string `json:"type"`
		Platform string `json:"platform"`
	} `json:"bootloader"`
}

type diskPartition struct {
	Start      *int64 `json:"start"`
	Size       *int64 `json:"size"`
	Type       string `json:"type"`
	UUID       string `json:"uuid"`
	Name       string `json:"name"`
	Bootable   bool   `json:"bootable"`
	Mountpoint string `json:"mountpoint"`
	Filesystem *struct {
		Type       string `json:"type"`
		UUID       string `json:"uuid"`
		Label      string `json:"label"`
		Mountpoint string `json:"mountpoint"`
	} `json:"filesystem"`
}

// fsTypeNames maps a partition "type" that names a filesystem to it.
var fsTypeNames = map[string]Filesystem{
	"ext4": {Type: "ext4"}, "ext3": {Type: "ext4"}, "xfs": {Type: "xfs"}, "btrfs": {Type: "btrfs"}, "swap": {Type: "swap"},
	"vfat": {Type: "vfat"}, "fat": {Type: "vfat"}, "fat12": {Type: "vfat", FatSize: 12}, "fat16": {Type: "vfat", FatSize: 16}, "fat32": {Type: "vfat", FatSize: 32},
}

// Layout turns the options into a Disk, checking sizes and overlaps. A last
// partition that runs past the end of the disk is fitted to it, with a
// warning located at its size; any other overrun or overlap is an error.
func (o DiskOptions) Layout() (*Disk, []*manifest.LocationError, error) {
	size, err := manifest.SizeValue(o.Size)
	if err != nil {
		return nil, nil, locErr(manifest.Path{"size"}, "%v", err)
	}
	d := &Disk{Size: size, PTUUID: o.PTUUID, PTType: o.PTType}
	if d.PTType == "mbr" {
		d.PTType = "dos"
	}
	if d.PTType == "" {
		d.PTType = "dos"
		if isGUID(o.PTUUID) || o.PTUUID == "" {
			d.PTType = "gpt"
		}
	}
	if o.Bootloader != nil {
		d.Bootloader = o.Bootloader.Platform
		if d.Bootloader == "" {
			d.Bootloader = "i386-pc"
		}
	}
	parts := o.Partitions
	if len(parts) == 0 {
		fsType := o.RootFSType
		if fsType == "" {
			fsType = "ext4"
		}
		start := int64(1 << 20)
		d.Partitions = []Partition{{Start: start, Size: size - start - (34 * sector),
			FS: &Filesystem{Type: fsType, UUID: o.RootFSUUID, Label: o.RootLabel, Mountpoint: "/"}}}
	}
	for i, p := range parts {
		part, err := p.normalize(i, d.PTType)
		if err != nil {
			return nil, nil, err
		}
		d.Partitions = append(d.Partitions, part)
	}
	for i := range d.Partitions {
		if fs := d.Partitions[i].FS; fs != nil && fs.Mountpoint == "/" && fs.UUID == "" {
			fs.UUID = o.RootFSUUID
			if fs.Label == "" {
				fs.Label = o.RootLabel
			}
		}
	}
	warnings, err := d.fit()
	return d, warnings, err
}

func (p diskPartition) normalize(i int, pttype string) (Partition, error) {
	at := manifest.Path{"partitions", i}
	out := Partition{UUID: p.UUID, Name: p.Name, Bootable: p.Bootable}
	unit := int64(sector) // osbuild's form counts sectors
	if fs, ok := fsTypeNames[strings.ToLower(p.Type)]; ok {
		unit = 1 // the dialect counts bytes
		fs.Mountpoint = p.Mountpoint
		out.FS = &fs
	} else {
		out.Type = p.Type
	}
	if p.Filesystem != nil {
		fs, ok := fsTypeNames[strings.ToLower(p.Filesystem.Type)]
		if !ok {
			return out, locErr(at.Key("filesystem").Key("type"), "unknown filesystem %q", p.Filesystem.Type)
		}
		fs.UUID, fs.Label, fs.Mountpoint = p.Filesystem.UUID, p.Filesystem.Label, p.Filesystem.Mountpoint
		out.FS = &fs
	} else if out.FS == nil && p.Mountpoint != "" {
		return out, locErr(at.Key("mountpoint"), "a mountpoint needs a filesystem: give \"type\" a filesystem name (ext4, fat32, …) or add \"filesystem\"")
	}
	if p.Start == nil || p.Size == nil {
		return out, locErr(at, "a partition needs \"start\" and \"size\"")
	}
	out.Start, out.Size = *p.Start*unit, *p.Size*unit
	if out.Start%sector != 0 || out.Size%sector != 0 {
		return out, locErr(at, "start and size must be multiples of %d bytes", sector)
	}
	if out.Type == "" {
		out.Type = partitionType(out.FS, pttype)
	}
	return out, nil
}

// partitionType picks the GPT GUID or MBR code for a filesystem.
func partitionType(fs *Filesystem, pttype string) string {
	esp := fs != nil && fs.Type == "vfat" && (fs.Mountpoint == "/boot/efi" || fs.Mountpoint == "/efi")
	swap := fs != nil && fs.Type == "swap"
	if pttype == "gpt" {
		switch {
		case esp:
			return GPTESP
		case swap:
			return GPTSwap
		}
		return GPTLinux
	}
	switch {
	case esp:
		return "ef"
	case swap:
		return "82"
	}
	return "83"
}

// fit checks the partitions against the disk and each other.
func (d *Disk) fit() ([]*manifest.LocationError, error) {
	var warnings []*manifest.LocationError
	lastUsable := d.Size
	if d.PTType == "gpt" {
		lastUsable = d.Size - 34*sector // GPT's backup header and entries
	}
	order := make([]int, len(d.Partitions))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return d.Partitions[order[a]].Start < d.Partitions[order[b]].Start })
	firstUsable := int64(34 * sector)
	if d.PTType == "dos" {
		firstUsable = sector
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
			p.Size = (lastUsable - p.Start) / sector * sector
			warnings = append(warnings, &manifest.LocationError{Path: at.Key("size"), Err: fmt.Errorf("partition %d ends %s after the usable end of the disk; fitted it to the disk: %d bytes instead of %d", i+1, humanBytes(over), p.Size, p.Size+over)})
		}
	}
	return warnings, nil
}

func humanBytes(n int64) string {
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

// derivedUUID is a stable UUID for something the manifest leaves unnamed,
// so the same manifest always gives the same disk.
func derivedUUID(seed ...string) string {
	h := sha256.Sum256([]byte(strings.Join(seed, "\x00")))
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// PlanDisk decodes a stage's disk options and checks the layout. The
// warnings (a partition fitted to the disk) are located in the manifest.
func PlanDisk(st *manifest.Stage) (*Disk, []*manifest.LocationError, error) {
	var o DiskOptions
	raw, err := json.Marshal(st.Options)
	if err != nil {
		return nil, nil, err
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, nil, &manifest.LocationError{Path: st.OptionsPath(), Err: err}
	}
	d, warnings, err := o.Layout()
	if err != nil {
		var le *manifest.LocationError
		if errors.As(err, &le) {
			le.Path = append(st.OptionsPath(), le.Path...)
		}
		return nil, nil, err
	}
	for _, w := range warnings {
		w.Path = append(st.OptionsPath(), w.Path...)
	}
	return d, warnings, nil
}
