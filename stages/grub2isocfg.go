package stages

import (
	"encoding/json"
	"path"
	"strconv"
	"strings"
)

// grub2ISOOptions are the options org.osbuild.grub2.iso and
// grub2.iso.legacy share: the menu of an installer or live ISO whose
// kernel and initramfs are kernel.dir/vmlinuz and kernel.dir/initrd.img,
// the root found by the ISO's label.
type grub2ISOOptions struct {
	Product struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"product"`
	Kernel          grubISOKernel `json:"kernel"`
	ISOLabel        string        `json:"isolabel"`
	FIPS            bool          `json:"fips"`
	Troubleshooting *bool         `json:"troubleshooting"`
	Test            *bool         `json:"test"`
	Install         *bool         `json:"install"`
	Custom          []struct {
		Name   string `json:"name"`
		Linux  string `json:"linux"`
		Initrd string `json:"initrd"`
	} `json:"custom"`
	Config struct {
		Timeout *int `json:"timeout"`
		Default *int `json:"default"`
	} `json:"config"`
}

// grubISOKernel is an open object in osbuild's schema: keys it does not
// declare are ignored.
type grubISOKernel struct {
	Dir  string   `json:"dir"`
	Opts []string `json:"opts"`
}

func (k *grubISOKernel) UnmarshalJSON(b []byte) error {
	type plain grubISOKernel
	return json.Unmarshal(b, (*plain)(k))
}

// kernelDir is kernel.dir, osbuild's /images/pxeboot when empty.
func (o *grub2ISOOptions) kernelDir() string {
	if o.Kernel.Dir == "" {
		return "/images/pxeboot"
	}
	return o.Kernel.Dir
}

// grub2ISOMenu is a grub2.iso configuration; efi says which of osbuild's
// two templates: UEFI's video modules, or BIOS's chain loading of the
// first drive.
func grub2ISOMenu(o *grub2ISOOptions, efi bool) string {
	kdir := o.kernelDir()
	timeout := 60
	if o.Config.Timeout != nil {
		timeout = *o.Config.Timeout
	}
	vars := map[string]string{
		"version": o.Product.Version, "product": o.Product.Name,
		"kernelpath": path.Join(kdir, "vmlinuz"), "initrdpath": path.Join(kdir, "initrd.img"),
		"isolabel": o.ISOLabel, "root": strings.Join(o.Kernel.Opts, " "), "timeout": strconv.Itoa(timeout),
		"defaultentry": "", "fipsentry": "", "installentry": "", "testentry": "", "troubleshootingentry": "", "customentries": "",
	}
	if o.Config.Default != nil {
		vars["defaultentry"] = "set default=\"" + strconv.Itoa(*o.Config.Default) + "\"\n"
	}
	for _, c := range o.Custom {
		entry := safeSubstitute(grubISOCustomEntry, map[string]string{"name": c.Name, "linux": c.Linux, "initrd": c.Initrd})
		vars["customentries"] += safeSubstitute(entry, vars)
	}
	troubleshooting, header := grubISOTroubleshootingBIOS, grubISOHeaderBIOS
	if efi {
		troubleshooting, header = grubISOTroubleshootingEFI, grubISOHeaderEFI
	}
	for _, e := range []struct {
		on       bool
		key, tpl string
	}{
		{defaultTrue(o.Test), "testentry", grubISOTestEntry},
		{defaultTrue(o.Install), "installentry", grubISOInstallEntry},
		{o.FIPS, "fipsentry", grubISOFIPSEntry},
		{defaultTrue(o.Troubleshooting), "troubleshootingentry", troubleshooting},
	} {
		if e.on {
			vars[e.key] = safeSubstitute(e.tpl, vars)
		}
	}
	return safeSubstitute(header+grubISOMenuBody, vars)
}

// isTrue is an option that defaults to true.
func defaultTrue(b *bool) bool { return b == nil || *b }

// osbuild's templates (org.osbuild.grub2.iso and grub2.iso.legacy), byte
// for byte: the configuration is the stage's output.
const (
	grubISOHeaderEFI  = "$defaultentry\nfunction load_video {\n  insmod efi_gop\n  insmod efi_uga\n  insmod video_bochs\n  insmod video_cirrus\n" + grubISOHeaderCommon
	grubISOHeaderBIOS = "$defaultentry\nfunction load_video {\n" + grubISOHeaderCommon + "insmod chain\n"
	// grubISOHeaderCommon is the header after the first lines of
	// load_video, the same in both templates.
	grubISOHeaderCommon = `  insmod all_video
}

load_video
set gfxpayload=keep
insmod gzio
insmod part_gpt
insmod ext2
`
	grubISOMenuBody = `
set timeout=${timeout}
### END /etc/grub.d/00_header ###

search --no-floppy --set=root -l '${isolabel}'

$customentries
$installentry
$testentry
$fipsentry
$troubleshootingentry
`
	grubISOCustomEntry = `
menuentry '${name}' --class fedora --class gnu-linux --class gnu --class os {
	linux ${linux}
	initrd ${initrd}
}`
	grubISOInstallEntry = `
menuentry 'Install ${product} ${version}' --class fedora --class gnu-linux --class gnu --class os {
	linux ${kernelpath} ${root} quiet
	initrd ${initrdpath}
}`
	grubISOTestEntry = `
menuentry 'Test this media & install ${product} ${version}' --class fedora --class gnu-linux --class gnu --class os {
	linux ${kernelpath} ${root} rd.live.check quiet
	initrd ${initrdpath}
}`
	grubISOFIPSEntry = `
menuentry 'Install ${product} ${version} in FIPS mode' --class fedora --class gnu-linux --class gnu --class os {
	linux ${kernelpath} ${root} quiet fips=1
	initrd ${initrdpath}
}
`
	grubISOTroubleshootingEFI  = grubISOTroubleshootingStart + "\n}"
	grubISOTroubleshootingBIOS = grubISOTroubleshootingStart + `
	menuentry 'Boot first drive' --class fedora --class gnu-linux --class gnu --class os {
		chainloader (hd0)+1
	}
}`
	// grubISOTroubleshootingStart is the troubleshooting submenu's
	// entries both templates have.
	grubISOTroubleshootingStart = `
submenu 'Troubleshooting -->' {
	menuentry 'Install ${product} ${version} in basic graphics mode' --class fedora --class gnu-linux --class gnu --class os {
		linux ${kernelpath} ${root} nomodeset quiet
		initrd ${initrdpath}
	}
	menuentry 'Rescue a ${product} system' --class fedora --class gnu-linux --class gnu --class os {
		linux ${kernelpath} ${root} inst.rescue quiet
		initrd ${initrdpath}
	}`
)
