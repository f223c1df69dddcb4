package stages

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// elfHeader is a 64-bit little-endian ELF header for machine, which is
// all debug/elf reads of a file without sections.
func elfHeader(machine uint16) []byte {
	h := make([]byte, 64)
	copy(h, "\x7fELF\x02\x01\x01")
	binary.LittleEndian.PutUint16(h[16:], 2) // ET_EXEC
	binary.LittleEndian.PutUint16(h[18:], machine)
	binary.LittleEndian.PutUint32(h[20:], 1)
	binary.LittleEndian.PutUint16(h[52:], 64) // e_ehsize
	return h
}

// GRUB for EFI is built for the tree's architecture, read from its dpkg:
// arm64-efi with arm64's file names for an arm64 tree, x86_64-efi for an
// amd64 one or a tree without dpkg; other architectures are refused.
func TestTreeEFITarget(t *testing.T) {
	for _, tc := range []struct {
		machine   uint16
		platform  string
		removable string
	}{{183, "arm64-efi", "BOOTAA64.EFI"}, {62, "x86_64-efi", "BOOTX64.EFI"}, {0, "x86_64-efi", "BOOTX64.EFI"}} {
		tree := t.TempDir()
		if tc.machine != 0 {
			if err := os.MkdirAll(filepath.Join(tree, "usr/bin"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(tree, "usr/bin/dpkg"), elfHeader(tc.machine), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		got, err := treeEFITarget(&Runtime{Spec: Spec{Tree: tree}})
		if err != nil || got.platform != tc.platform || got.removable != tc.removable {
			t.Errorf("machine %d: %+v %v, want %s %s", tc.machine, got, err, tc.platform, tc.removable)
		}
	}
	tree := t.TempDir()
	os.MkdirAll(filepath.Join(tree, "usr/bin"), 0o755)
	os.WriteFile(filepath.Join(tree, "usr/bin/dpkg"), elfHeader(243), 0o755) // RISC-V
	if _, err := treeEFITarget(&Runtime{Spec: Spec{Tree: tree}}); err == nil || !strings.Contains(err.Error(), "amd64 and arm64") {
		t.Errorf("a riscv64 tree: %v", err)
	}
}

// A package name's architecture: its last or an inner "-ARCH" part.
func TestArchInName(t *testing.T) {
	for name, want := range map[string]string{"linux-image-amd64": "amd64", "grub-efi-arm64-bin": "arm64", "linux-image-cloud-arm64": "arm64",
		"libc6": "", "sudo": "", "gcc-12-i386-linux-gnu": "i386", "grub-pc-bin": ""} {
		if got := archInName(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}
