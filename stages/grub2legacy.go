package stages

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// org.osbuild.grub2.legacy: osbuild's GRUB configuration for GRUB's own
// (non-BLS) menu, in osbuild's (Fedora's) layout, byte for byte as
// osbuild writes it: /boot/grub2/grub.cfg with a menuentry per entry
// (kernel /boot/vmlinuz-KERNEL, initrd /boot/initramfs-KERNEL.img, or
// below / with a separate bootfs), /boot/grub2/grubenv (1024 bytes,
// saved_entry of the default entry), /etc/default/grub unless
// write_defaults is false, and with uefi EFI/VENDOR/grub.cfg in
// /boot/efi. With bios, the platform's modules and GRUB's unicode font
// are copied from the buildroot (grub-pc-bin, grub-common); uefi.install
// copies /boot/efi/EFI/{BOOT,VENDOR} from the buildroot, as osbuild does
// (Debian's buildroot has none: that fails). osbuild fails without bios;
// here a UEFI-only configuration uses linux/initrd.
func init() {
	Define(Definition[grubLegacyOptions]{Type: "org.osbuild.grub2.legacy", Run: runGrubLegacy})
}

type grubLegacyOptions struct {
	RootFS        legacyFS          `json:"rootfs"`
	BootFS        *legacyFS         `json:"bootfs"`
	BIOS          *legacyBIOS       `json:"bios"`
	UEFI          *legacyUEFI       `json:"uefi"`
	WriteDefaults *bool             `json:"write_defaults"`
	Entries       []grubLegacyEntry `json:"entries"`
	Config        *grubLegacyConfig `json:"config"`
}

// legacyFS, legacyBIOS and legacyUEFI are open objects in osbuild's
// schema: keys it does not declare are ignored.
type legacyFS struct {
	UUID   string `json:"uuid"`
	Label  string `json:"label"`
	Device string `json:"device"`
}

type legacyBIOS struct {
	Platform string `json:"platform"`
}

type legacyUEFI struct {
	Vendor  string `json:"vendor"`
	Install bool   `json:"install"`
}

func (f *legacyFS) UnmarshalJSON(b []byte) error {
	type plain legacyFS
	return json.Unmarshal(b, (*plain)(f))
}

func (b *legacyBIOS) UnmarshalJSON(data []byte) error {
	type plain legacyBIOS
	return json.Unmarshal(data, (*plain)(b))
}

func (u *legacyUEFI) UnmarshalJSON(b []byte) error {
	type plain legacyUEFI
	return json.Unmarshal(b, (*plain)(u))
}

type grubLegacyEntry struct {
	Default bool   `json:"default"`
	ID      string `json:"id"`
	Product struct {
		Name    string `json:"name"`
		Nick    string `json:"nick"`
		Version string `json:"version"`
	} `json:"product"`
	Kernel string `json:"kernel"`
}

type grubLegacyConfig struct {
	Cmdline         string   `json:"cmdline"`
	Default         *string  `json:"default"`
	DisableRecovery *bool    `json:"disable_recovery"`
	DisableSubmenu  *bool    `json:"disable_submenu"`
	Distributor     string   `json:"distributor"`
	Terminal        []string `json:"terminal"`
	TerminalInput   []string `json:"terminal_input"`
	TerminalOutput  []string `json:"terminal_output"`
	Timeout         int      `json:"timeout"`
	TimeoutStyle    string   `json:"timeout_style"`
	Serial          string   `json:"serial"`
}

func runGrubLegacy(rt *Runtime, o *grubLegacyOptions) error {
	files, err := grubLegacyFiles(o)
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := rt.WriteFile(f.path, []byte(f.data), 0o644); err != nil {
			return err
		}
	}
	if o.UEFI != nil && o.UEFI.Install {
		for _, d := range []string{"BOOT", o.UEFI.Vendor} {
			if err := rt.copyFromBuildroot("/boot/efi/EFI/"+d, "/boot/efi/EFI/"+d); err != nil {
				return err
			}
		}
	}
	if o.BIOS == nil {
		return nil
	}
	platform := "/usr/lib/grub/" + o.BIOS.Platform
	entries, err := os.ReadDir(platform)
	if err != nil {
		return fmt.Errorf("the buildroot has no GRUB modules for %s: %w", o.BIOS.Platform, err)
	}
	for _, e := range entries {
		ext := filepath.Ext(e.Name())
		if (ext != ".mod" && ext != ".lst") || e.Name() == "fdt.lst" {
			continue
		}
		if err := rt.copyFromBuildroot(filepath.Join(platform, e.Name()), "/boot/grub2/"+o.BIOS.Platform+"/"+e.Name()); err != nil {
			return err
		}
	}
	return rt.copyFromBuildroot("/usr/share/grub/unicode.pf2", "/boot/grub2/fonts/unicode.pf2")
}

// copyFromBuildroot copies a file or directory of the buildroot into the
// tree (cp -a: modes and times kept).
func (rt *Runtime) copyFromBuildroot(src, dst string) error {
	to, err := rt.Path(dst)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	return rt.Run("cp", "-a", "-T", src, to)
}

type grubLegacyFile struct{ path, data string }

// grubLegacyFiles are the files osbuild's stage writes for o.
func grubLegacyFiles(o *grubLegacyOptions) ([]grubLegacyFile, error) {
	c := o.Config
	if c == nil {
		c = &grubLegacyConfig{}
	}
	var files []grubLegacyFile
	if o.WriteDefaults == nil || *o.WriteDefaults {
		files = append(files, grubLegacyFile{"/etc/default/grub", grubLegacyDefaults(c)})
	}
	env := "# GRUB Environment Block\n"
	var defaults []grubLegacyEntry
	for _, e := range o.Entries {
		if e.Default {
			defaults = append(defaults, e)
		}
	}
	if len(defaults) > 1 {
		return nil, fmt.Errorf("%d entries are the default: give one", len(defaults))
	}
	if len(defaults) == 1 {
		// osbuild's menu ID has a literal "$" before the kernel
		env += fmt.Sprintf("saved_entry=gnulinux-$%s-advanced-%s\n", defaults[0].Kernel, defaults[0].ID)
	}
	if len(env) > 1024 {
		return nil, fmt.Errorf("the default entry's ID is too long for grubenv's 1024 bytes")
	}
	files = append(files, grubLegacyFile{"/boot/grub2/grubenv", env + strings.Repeat("#", 1024-len(env))})
	if o.UEFI != nil {
		files = append(files, grubLegacyFile{"/boot/efi/EFI/" + o.UEFI.Vendor + "/grub.cfg", grubLegacyCfg(o, c, true)})
	}
	if o.BIOS != nil {
		files = append(files, grubLegacyFile{"/boot/grub2/grub.cfg", grubLegacyCfg(o, c, false)})
	}
	return files, nil
}
