package disk

import (
	"encoding/json"
	"strings"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// Options is the partitioned-disk part of the qemu assembler's and the
// image stage's options, in both forms users write: osbuild's (start and
// size in sectors, "filesystem" objects) and the dialect's (start and size
// in bytes, the filesystem's name as "type", "mountpoint" on the
// partition).
type Options struct {
	Size       any                `json:"size"`
	PTUUID     string             `json:"ptuuid"`
	PTType     string             `json:"pttype"`
	Partitions []PartitionOptions `json:"partitions"`
	RootFSUUID string             `json:"root_fs_uuid"`
	RootFSType string             `json:"root_fs_type"`
	RootLabel  string             `json:"root_fs_label"`
	Bootloader *BootloaderOptions `json:"bootloader"`
}

// BootloaderOptions ask for GRUB's BIOS boot code.
type BootloaderOptions struct {
	Type     string `json:"type"`
	Platform string `json:"platform"`
}

// PartitionOptions is one partition as a manifest gives it, in osbuild's
// form or the dialect's.
type PartitionOptions struct {
	Start      *int64             `json:"start"`
	Size       *int64             `json:"size"`
	Type       string             `json:"type"`
	UUID       string             `json:"uuid"`
	Name       string             `json:"name"`
	Bootable   bool               `json:"bootable"`
	Mountpoint string             `json:"mountpoint"`
	Filesystem *FilesystemOptions `json:"filesystem"`
}

// FilesystemOptions are osbuild's "filesystem" of a partition.
type FilesystemOptions struct {
	Type       string `json:"type"`
	UUID       string `json:"uuid"`
	Label      string `json:"label"`
	Mountpoint string `json:"mountpoint"`
}

// osbuild's schema leaves these objects open; its assembler ignores keys
// it does not know, so do these.

// UnmarshalJSON decodes leniently.
func (o *BootloaderOptions) UnmarshalJSON(b []byte) error {
	type plain BootloaderOptions
	return json.Unmarshal(b, (*plain)(o))
}

// UnmarshalJSON decodes leniently.
func (o *PartitionOptions) UnmarshalJSON(b []byte) error {
	type plain PartitionOptions
	return json.Unmarshal(b, (*plain)(o))
}

// UnmarshalJSON decodes leniently.
func (o *FilesystemOptions) UnmarshalJSON(b []byte) error {
	type plain FilesystemOptions
	return json.Unmarshal(b, (*plain)(o))
}

// fsTypeNames maps a partition "type" that names a filesystem to it.
var fsTypeNames = map[string]Filesystem{
	"ext4": {Type: "ext4"}, "ext3": {Type: "ext4"}, "xfs": {Type: "xfs"}, "btrfs": {Type: "btrfs"}, "swap": {Type: "swap"},
	"vfat": {Type: "vfat"}, "fat": {Type: "vfat"}, "fat12": {Type: "vfat", FatSize: 12}, "fat16": {Type: "vfat", FatSize: 16}, "fat32": {Type: "vfat", FatSize: 32},
}

// Layout turns the options into a Disk, checking sizes and overlaps. A last
// partition that runs past the end of the disk is fitted to it, with a
// warning located at its size; any other overrun or overlap is an error.
func (o Options) Layout() (*Disk, []*manifest.LocationError, error) {
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
		d.Partitions = []Partition{{Start: start, Size: size - start - (34 * Sector),
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

func (p PartitionOptions) normalize(i int, pttype string) (Partition, error) {
	at := manifest.Path{"partitions", i}
	out := Partition{UUID: p.UUID, Name: p.Name, Bootable: p.Bootable}
	unit := int64(Sector) // osbuild's form counts sectors
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
	if out.Start%Sector != 0 || out.Size%Sector != 0 {
		return out, locErr(at, "start and size must be multiples of %d bytes", Sector)
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

// NamesFilesystem says whether a partition "type" names a filesystem, as
// the dialect's partitions do ("ext4", "fat32"), rather than a GPT GUID or
// an MBR code.
func NamesFilesystem(t string) bool {
	_, ok := fsTypeNames[strings.ToLower(t)]
	return ok
}
