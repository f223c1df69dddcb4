package disk

import (
	"debug/elf"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// elfHeader is the 64-byte header of a little-endian 64-bit ELF program
// for machine m, with no sections or segments: enough for debug/elf.
func elfHeader(m elf.Machine) string {
	h := make([]byte, 64)
	copy(h, elf.ELFMAG)
	h[elf.EI_CLASS], h[elf.EI_DATA], h[elf.EI_VERSION] = byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)
	binary.LittleEndian.PutUint16(h[16:], uint16(elf.ET_EXEC))
	binary.LittleEndian.PutUint16(h[18:], uint16(m))
	binary.LittleEndian.PutUint32(h[20:], uint32(elf.EV_CURRENT))
	binary.LittleEndian.PutUint16(h[52:], 64)
	return string(h)
}

// A missing removable-media EFI binary is named for the tree's
// architecture (found in its programs' ELF headers): BOOTAA64.EFI for an
// arm64 tree, not amd64's BOOTX64.EFI.
func TestMissingEFIBinaryNamedForTheTreesArchitecture(t *testing.T) {
	for _, tc := range []struct {
		name, init, want, not string
	}{
		{"arm64", elfHeader(elf.EM_AARCH64), "no EFI/BOOT/BOOTAA64.EFI,", "BOOTX64"},
		{"amd64", elfHeader(elf.EM_X86_64), "no EFI/BOOT/BOOTX64.EFI,", "BOOTAA64"},
		{"unknown", "#!init", "no EFI/BOOT/BOOTX64.EFI (BOOTAA64.EFI on arm64),", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := bootDisk()
			d.fillIdentities()
			tree := bootableTree(t, map[string]string{"boot/efi/EFI/BOOT/BOOTX64.EFI": "", "usr/lib/systemd/systemd": tc.init})
			os.Remove(filepath.Join(tree, "boot/efi/EFI/BOOT/BOOTX64.EFI"))
			got := d.BootChecks(tree)
			if checks(got) != "efi:/boot/efi" {
				t.Fatalf("findings %q, want the ESP's: %+v", checks(got), got)
			}
			if msg := got[0].Message; !strings.Contains(msg, tc.want) || tc.not != "" && strings.Contains(msg, tc.not) {
				t.Errorf("message %q: want %q, not %q", msg, tc.want, tc.not)
			}
		})
	}
}
