package stages

import (
	"testing"
)

func TestFstabLine(t *testing.T) {
	if got := fstabLine(fstabEntry{Label: "ESP", VFSType: "vfat", Path: "/boot/efi", PassNo: "2"}); got != "LABEL=ESP\t/boot/efi\tvfat\tdefaults\t0\t2" {
		t.Errorf("fstab line %q", got)
	}
}
