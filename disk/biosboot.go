package disk

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Offsets in GRUB's i386-pc boot.img and core.img (grub/include/grub/i386/pc/boot.h).
const (
	bootKernelSector = 0x5c  // boot.img: LBA of core.img's first sector, 64-bit LE
	bootDriveCheck   = 0x66  // boot.img: a jump for floppies, replaced by NOPs
	bootCodeEnd      = 0x1b8 // boot.img: the disk signature and partition table follow
	coreBlocklist    = 0x1f4 // core.img: the first sector's blocklist {start u64, len u16}
	biosCoreSector   = 64    // where core.img goes in a GPT disk without a BIOS boot partition
)

// installBIOSBoot makes the disk BIOS-bootable the way grub-bios-setup
// would, without a device: core.img goes into the BIOS boot partition (or
// the gap before the first partition), boot.img into the MBR, and both get
// each other's locations. It runs when the bootloader option asks for it or
// the tree has GRUB's i386-pc modules (org.osbuild.grub2 with legacy).
func (d *Disk) installBIOSBoot(r Runner, tree, raw string) error {
	inTree := filepath.Join(tree, "boot/grub/i386-pc")
	_, treeHas := os.Stat(filepath.Join(inTree, "normal.mod"))
	if d.Bootloader != "i386-pc" && d.Bootloader != "hybrid" && treeHas != nil {
		return nil
	}
	mods := inTree
	if treeHas != nil {
		var err error
		if mods, err = GRUBModules(tree, "i386-pc"); err != nil {
			return err
		}
	}
	prefix, fsmod, err := d.biosPrefix()
	if err != nil {
		return err
	}
	bootImg, coreImg, err := BIOSImages(r, mods, prefix, d.PTType, fsmod, raw+".core.img")
	if err != nil {
		return err
	}
	at, err := d.coreLocation(int64(len(coreImg)))
	if err != nil {
		return err
	}
	r.Logf("BIOS boot: core.img (%d bytes, prefix %s) at Sector %d", len(coreImg), prefix, at)
	if err := WriteBIOSBoot(raw, bootImg, coreImg, at); err != nil {
		return err
	}
	d.biosBoot = true
	return nil
}

// BIOSImages makes GRUB's core.img for a partition table ("gpt", "dos")
// and filesystem module, and reads boot.img, from a modules directory.
func BIOSImages(r Runner, mods, prefix, table, fsmod, scratch string) (boot, core []byte, err error) {
	defer os.Remove(scratch)
	part := map[string]string{"gpt": "part_gpt", "dos": "part_msdos"}[table]
	if err := run(r, "grub-mkimage", "-O", "i386-pc", "-d", mods, "-p", prefix, "-o", scratch, "biosdisk", part, fsmod); err != nil {
		return nil, nil, err
	}
	if core, err = os.ReadFile(scratch); err != nil {
		return nil, nil, err
	}
	boot, err = os.ReadFile(filepath.Join(mods, "boot.img"))
	return boot, core, err
}

// GRUBModules is the directory of GRUB's modules for platform: the
// tree's (grub-pc-bin installed in the image), else the buildroot's.
func GRUBModules(tree, platform string) (string, error) {
	for _, dir := range []string{filepath.Join(tree, "usr/lib/grub", platform), "/usr/lib/grub/" + platform} {
		if _, err := os.Stat(filepath.Join(dir, "normal.mod")); err == nil {
			return dir, nil
		}
	}
	return "", fmt.Errorf("no GRUB modules for %s in the tree or the buildroot (grub-pc-bin)", platform)
}

// biosPrefix is where core.img finds /boot/grub: the /boot partition, else
// the root partition.
func (d *Disk) biosPrefix() (string, string, error) {
	pick := -1
	for i, p := range d.Partitions {
		if p.FS == nil {
			continue
		}
		if p.FS.Mountpoint == "/boot" || (p.FS.Mountpoint == "/" && pick < 0) {
			pick = i
		}
	}
	if pick < 0 {
		return "", "", errors.New("BIOS boot needs a partition mounted at / or /boot")
	}
	fs := d.Partitions[pick].FS
	mod := map[string]string{"ext4": "ext2", "xfs": "xfs", "btrfs": "btrfs"}[fs.Type]
	if mod == "" {
		return "", "", fmt.Errorf("GRUB cannot boot from %s at %s", fs.Type, fs.Mountpoint)
	}
	dir := "/boot/grub"
	if fs.Mountpoint == "/boot" {
		dir = "/grub"
	}
	label := map[string]string{"gpt": "gpt", "dos": "msdos"}[d.PTType]
	return fmt.Sprintf("(,%s%d)%s", label, pick+1, dir), mod, nil
}

// coreLocation finds the sector core.img goes to.
func (d *Disk) coreLocation(size int64) (int64, error) {
	first := d.Size
	for _, p := range d.Partitions {
		if p.Type == GPTBIOSBoot || p.Type == "21686148-6449-6e6f-744e-656564454649" {
			if size > p.Size {
				return 0, fmt.Errorf("GRUB's core image (%d bytes) does not fit the %d-byte BIOS boot partition", size, p.Size)
			}
			return p.Start / Sector, nil
		}
		first = min(first, p.Start)
	}
	start := int64(1)
	if d.PTType == "gpt" {
		start = biosCoreSector
	}
	if start*Sector+size > first {
		return 0, fmt.Errorf("no room for GRUB's core image (%d bytes) before the first partition at byte %d: add a BIOS boot partition (type %s) or start the first partition later", size, first, GPTBIOSBoot)
	}
	return start, nil
}

// WriteBIOSBoot puts boot.img into the MBR of raw and core.img at sector
// at, each patched with the other's location, as grub-bios-setup does.
func WriteBIOSBoot(raw string, bootImg, coreImg []byte, at int64) error {
	if len(bootImg) != Sector || len(coreImg) < Sector {
		return errors.New("unexpected boot.img or core.img size")
	}
	coreImg = append([]byte(nil), coreImg...)
	sectors := (int64(len(coreImg)) + Sector - 1) / Sector
	binary.LittleEndian.PutUint64(coreImg[coreBlocklist:], uint64(at+1))
	binary.LittleEndian.PutUint16(coreImg[coreBlocklist+8:], uint16(sectors-1))
	f, err := os.OpenFile(raw, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	mbr := make([]byte, Sector)
	if _, err := f.ReadAt(mbr, 0); err != nil {
		return err
	}
	boot := append([]byte(nil), bootImg...)
	binary.LittleEndian.PutUint64(boot[bootKernelSector:], uint64(at))
	boot[bootDriveCheck], boot[bootDriveCheck+1] = 0x90, 0x90
	copy(mbr[:bootCodeEnd], boot[:bootCodeEnd])
	if _, err := f.WriteAt(mbr, 0); err != nil {
		return err
	}
	if _, err := f.WriteAt(coreImg, at*Sector); err != nil {
		return err
	}
	return f.Close()
}
