package stages

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/osbuildkit/osbuildkit/disk"
)

// The menus osbuild's stages/test/test_grub2_iso_legacy.py expects (at the
// commit docs/stages.md pins), for the options of its
// fedora-ostree-bootiso-xz.json with each case's changes.
const (
	isoLegacyPart1 = `
function load_video {
  insmod all_video
}

load_video
set gfxpayload=keep
insmod gzio
insmod part_gpt
insmod ext2
insmod chain

set timeout=10
### END /etc/grub.d/00_header ###

search --no-floppy --set=root -l 'Fedora-41-X86_64'

`
	// isoCustomEntry is a custom entry, the same in the BIOS and EFI menus.
	isoCustomEntry = `
menuentry '%s' --class fedora --class gnu-linux --class gnu --class os {
	linux %s
	initrd %s
}`
	isoLegacyInstall = `
menuentry 'Install Fedora-IoT 41' --class fedora --class gnu-linux --class gnu --class os {
	linux /images/pxeboot/vmlinuz inst.ks=hd:LABEL=Fedora-41-X86_64:/install.ks quiet
	initrd /images/pxeboot/initrd.img
}
`
	isoLegacyTest = `
menuentry 'Test this media & install Fedora-IoT 41' --class fedora --class gnu-linux --class gnu --class os {
	linux /images/pxeboot/vmlinuz inst.ks=hd:LABEL=Fedora-41-X86_64:/install.ks rd.live.check quiet
	initrd /images/pxeboot/initrd.img
}
`
	isoLegacyTroubleshooting = `

submenu 'Troubleshooting -->' {
	menuentry 'Install Fedora-IoT 41 in basic graphics mode' --class fedora --class gnu-linux --class gnu --class os {
		linux /images/pxeboot/vmlinuz inst.ks=hd:LABEL=Fedora-41-X86_64:/install.ks nomodeset quiet
		initrd /images/pxeboot/initrd.img
	}
	menuentry 'Rescue a Fedora-IoT system' --class fedora --class gnu-linux --class gnu --class os {
		linux /images/pxeboot/vmlinuz inst.ks=hd:LABEL=Fedora-41-X86_64:/install.ks inst.rescue quiet
		initrd /images/pxeboot/initrd.img
	}
	menuentry 'Boot first drive' --class fedora --class gnu-linux --class gnu --class os {
		chainloader (hd0)+1
	}
}
`
	isoLegacyFIPS = `
menuentry 'Install Fedora-IoT 41 in FIPS mode' --class fedora --class gnu-linux --class gnu --class os {
	linux /images/pxeboot/vmlinuz inst.ks=hd:LABEL=Fedora-41-X86_64:/install.ks quiet fips=1
	initrd /images/pxeboot/initrd.img
}
`
)

func TestGrub2ISOLegacyMenu(t *testing.T) {
	base := `"product": {"name": "Fedora-IoT", "version": "41"}, "isolabel": "Fedora-41-X86_64",
		"kernel": {"dir": "/images/pxeboot", "opts": ["inst.ks=hd:LABEL=Fedora-41-X86_64:/install.ks"]}`
	all := isoLegacyPart1 + "\n" + isoLegacyInstall + isoLegacyTest + isoLegacyTroubleshooting
	for _, c := range []struct{ options, want string }{
		{`"config": {"timeout": 10}`, all},
		{`"config": {"timeout": 10}, "platform": "i386-pc"`, all},
		{`"config": {"timeout": 10}, "grub2dir": ""`, all},
		{`"config": {"timeout": 10}, "fips": true`, isoLegacyPart1 + "\n" + isoLegacyInstall + isoLegacyTest + isoLegacyFIPS + isoLegacyTroubleshooting},
		{`"config": {"default": 1, "timeout": 10}`, "set default=\"1\"\n" + all},
		{`"config": {"timeout": 10}, "troubleshooting": false`, isoLegacyPart1 + "\n" + isoLegacyInstall + isoLegacyTest + "\n\n"},
		{`"config": {"timeout": 10}, "troubleshooting": false, "test": false`, isoLegacyPart1 + "\n" + isoLegacyInstall + "\n\n\n"},
		{`"config": {"timeout": 10}, "troubleshooting": false, "test": false, "install": false`, isoLegacyPart1 + "\n\n\n\n\n"},
		{`"config": {"timeout": 10}, "troubleshooting": false, "test": false, "install": false, "custom": [
			{"name": "label 0", "linux": "/foo/bar root=baz quiet", "initrd": "/foo/bar"},
			{"name": "label 1", "linux": "/bar/foo root=baz quiet", "initrd": "/bar/foo"},
			{"name": "label 2", "linux": "${kernelpath} ${root}", "initrd": "${initrdpath}"}]`,
			isoLegacyPart1 + fmt.Sprintf(isoCustomEntry, "label 0", "/foo/bar root=baz quiet", "/foo/bar") +
				fmt.Sprintf(isoCustomEntry, "label 1", "/bar/foo root=baz quiet", "/bar/foo") +
				fmt.Sprintf(isoCustomEntry, "label 2", "/images/pxeboot/vmlinuz inst.ks=hd:LABEL=Fedora-41-X86_64:/install.ks", "/images/pxeboot/initrd.img") +
				"\n\n\n\n\n"},
	} {
		o, err := decodeOptions[grub2ISOLegacyOptions]([]byte("{" + base + ", " + c.options + "}"))
		if err != nil {
			t.Fatalf("%s: %v", c.options, err)
		}
		if got := grub2ISOMenu(&o.grub2ISOOptions, false); got != c.want {
			t.Errorf("%s:\n%s", c.options, lineDiff(got, c.want))
		}
	}
}

// lineDiff shows the first line where got and want differ.
func lineDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl || i >= len(g) || i >= len(w) {
			return fmt.Sprintf("line %d: got %q, want %q (%d lines, want %d)", i+1, gl, wl, len(g), len(w))
		}
	}
	return "equal"
}

// Planned in the buildroot with grub-pc-bin for i386-pc; without
// kernel.opts (osbuild's stage fails on it) the manifest is refused at
// the option.
func TestGrub2ISOLegacyPlan(t *testing.T) {
	plan, err := planOf(t, `{"type": "org.osbuild.grub2.iso.legacy", "options": {"product": {"name": "Debian", "version": "12"}, "isolabel": "DEBIAN_LIVE", "kernel": {"dir": "/live", "opts": ["boot=live"]}}}`)
	if err != nil || len(plan.Exec.Tools) != 1 || plan.Exec.Tools[0] != "grub-pc-bin" {
		t.Fatalf("plan %+v, %v", plan, err)
	}
	_, err = planOf(t, `{"type": "org.osbuild.grub2.iso.legacy", "options": {"product": {"name": "Debian", "version": "12"}, "isolabel": "DEBIAN_LIVE", "kernel": {"dir": "/live"}}}`)
	if err == nil || !strings.Contains(err.Error(), ".options.kernel") || !strings.Contains(err.Error(), "kernel.opts is missing") {
		t.Errorf("without kernel.opts: %v", err)
	}
}

// A menu that boots a kernel or initramfs the tree lacks gets a finding
// each (osbuild writes the menu anyway); kernel.dir's symbolic links count
// when they resolve inside the tree.
func TestGrub2ISOLegacyMissingKernel(t *testing.T) {
	rt, _ := runtimeFor(t, "org.osbuild.grub2.iso.legacy", map[string]any{})
	writeTestFile(t, rt.Tree+"/boot/vmlinuz-6.1.0-amd64", "kernel", 0o644)
	if err := os.Symlink("boot/vmlinuz-6.1.0-amd64", rt.Tree+"/vmlinuz"); err != nil {
		t.Fatal(err)
	}
	f := rt.missingKernelFiles("/")
	if len(f) != 1 || f[0].Check != disk.CheckKernelPath || f[0].Ref != "/initrd.img" || !strings.Contains(f[0].Message, "the menu boots /initrd.img, which is not in the tree") {
		t.Errorf("findings %+v", f)
	}
	if f := rt.missingKernelFiles("/images/pxeboot"); len(f) != 2 {
		t.Errorf("findings %+v", f)
	}
}
