package stages

import (
	"fmt"
	"strings"
	"testing"
)

const (
	efiStage2 = "inst.stage2=hd:LABEL=Fedora-42-Everything-x86_64"
	efiPart1  = `
function load_video {
  insmod efi_gop
  insmod efi_uga
  insmod video_bochs
  insmod video_cirrus
  insmod all_video
}

load_video
set gfxpayload=keep
insmod gzio
insmod part_gpt
insmod ext2

set timeout=60
### END /etc/grub.d/00_header ###

search --no-floppy --set=root -l 'Fedora-42-Everything-x86_64'

`
	efiEntry = `
menuentry '%s' --class fedora --class gnu-linux --class gnu --class os {
	linux /images/pxeboot/vmlinuz ` + efiStage2 + ` %s
	initrd /images/pxeboot/initrd.img
}
`
	efiTroubleshooting = `

submenu 'Troubleshooting -->' {
	menuentry 'Install Fedora 42 in basic graphics mode' --class fedora --class gnu-linux --class gnu --class os {
		linux /images/pxeboot/vmlinuz ` + efiStage2 + ` nomodeset quiet
		initrd /images/pxeboot/initrd.img
	}
	menuentry 'Rescue a Fedora system' --class fedora --class gnu-linux --class gnu --class os {
		linux /images/pxeboot/vmlinuz ` + efiStage2 + ` inst.rescue quiet
		initrd /images/pxeboot/initrd.img
	}
}
`
)

// The menus osbuild's stages/test/test_grub2_iso.py expects (at the commit
// docs/stages.md pins), for the options of its fedora-ostree-bootiso-xz.json
// with each case's changes.
func TestGrub2ISOEFIMenu(t *testing.T) {
	install := fmt.Sprintf(efiEntry, "Install Fedora 42", "quiet")
	test := fmt.Sprintf(efiEntry, "Test this media & install Fedora 42", "rd.live.check quiet")
	fips := fmt.Sprintf(efiEntry, "Install Fedora 42 in FIPS mode", "quiet fips=1")
	base := `"product": {"name": "Fedora", "version": "42"}, "isolabel": "Fedora-42-Everything-x86_64", "architectures": ["X64"], "vendor": "fedora"`
	kernel := `"kernel": {"dir": "/images/pxeboot", "opts": ["` + efiStage2 + `"]}`
	for _, c := range []struct{ options, want string }{
		{kernel, efiPart1 + "\n" + install + test + efiTroubleshooting},
		{kernel + `, "fips": true`, efiPart1 + "\n" + install + test + fips + efiTroubleshooting},
		{kernel + `, "config": {"default": 1}`, "set default=\"1\"\n" + efiPart1 + "\n" + install + test + efiTroubleshooting},
		{kernel + `, "troubleshooting": false`, efiPart1 + "\n" + install + test + "\n\n"},
		{kernel + `, "troubleshooting": false, "test": false`, efiPart1 + "\n" + install + "\n\n\n"},
		{kernel + `, "troubleshooting": false, "test": false, "install": false`, efiPart1 + "\n\n\n\n\n"},
		{`"kernel": {"dir": "/images/pxeboot", "opts": ["root=hd:LABEL=root", "rhgb"]}, "troubleshooting": false, "test": false, "install": false, "custom": [
			{"name": "label 0", "linux": "/foo/bar root=baz quiet", "initrd": "/foo/bar"},
			{"name": "label 1", "linux": "/bar/foo root=baz quiet", "initrd": "/bar/foo"},
			{"name": "label 2", "linux": "${kernelpath} ${root}", "initrd": "${initrdpath}"}]`,
			efiPart1 + fmt.Sprintf(isoCustomEntry, "label 0", "/foo/bar root=baz quiet", "/foo/bar") +
				fmt.Sprintf(isoCustomEntry, "label 1", "/bar/foo root=baz quiet", "/bar/foo") +
				fmt.Sprintf(isoCustomEntry, "label 2", "/images/pxeboot/vmlinuz root=hd:LABEL=root rhgb", "/images/pxeboot/initrd.img") + "\n\n\n\n\n"},
	} {
		o, err := decodeOptions[grub2ISOEFIOptions]([]byte("{" + base + ", " + c.options + "}"))
		if err != nil {
			t.Fatalf("%s: %v", c.options, err)
		}
		if got := grub2ISOMenu(&o.grub2ISOOptions, true); got != c.want {
			t.Errorf("%s:\n%s", c.options, lineDiff(got, c.want))
		}
	}
}

// osbuild's copies for X64, and where a Debian buildroot has them.
func TestGrub2ISOEFIBinaries(t *testing.T) {
	var got []string
	for _, b := range efiBinaries("x64") {
		got = append(got, b.src+" "+b.dst+" "+debianEFIBinary(b.src))
	}
	want := []string{
		"shimx64.efi BOOTX64.EFI /usr/lib/shim/shimx64.efi.signed",
		"mmx64.efi mmx64.efi /usr/lib/shim/mmx64.efi.signed",
		"gcdx64.efi grubx64.efi /usr/lib/grub/x86_64-efi-signed/gcdx64.efi.signed",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("copies:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
