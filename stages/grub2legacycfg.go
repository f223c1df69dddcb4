package stages

import (
	"fmt"
	"regexp"
	"strings"
)

// grubLegacyCfgTemplate and grubLegacyEntryTemplate are osbuild's, filled
// in as Python's string.Template.safe_substitute does: names it is not
// given (GRUB's own variables, and unset serial/terminal settings) stay as
// they are.
const grubLegacyCfgTemplate = `
# Created by osbuild

set timeout=${timeout}

# load the grubenv file
load_env

# selection of the next boot entry
if [ "${next_entry}" ] ; then
   set default="${next_entry}"
   set next_entry=
   save_env next_entry
   set boot_once=true
else
   set default="${saved_entry}"
fi

if [ "${prev_saved_entry}" ]; then
  set saved_entry="${prev_saved_entry}"
  save_env saved_entry
  set prev_saved_entry=
  save_env prev_saved_entry
  set boot_once=true
fi

function savedefault {
  if [ -z "${boot_once}" ]; then
    saved_entry="${chosen}"
    save_env saved_entry
  fi
}
${serial}${terminal_input}${terminal_output}
`

const grubLegacyEntryTemplate = `
menuentry '${title}' --class red --class gnu-linux --class gnu --class os --unrestricted --id 'gnulinux-${kernel}-advanced-${id}' {
	insmod all_video
	set gfxpayload=keep
	search --no-floppy --set=root ${search}
	linux${loader} ${grub_home}vmlinuz-${kernel} ${cmdline}
	initrd${loader} ${grub_home}initramfs-${kernel}.img
}
`

var templateName = regexp.MustCompile(`\$\$|\$\{([_a-zA-Z][_a-zA-Z0-9]*)\}|\$([_a-zA-Z][_a-zA-Z0-9]*)`)

// safeSubstitute is Python's string.Template(s).safe_substitute(vars).
func safeSubstitute(s string, vars map[string]string) string {
	return templateName.ReplaceAllStringFunc(s, func(m string) string {
		if m == "$$" {
			return "$"
		}
		name := strings.Trim(m, "${}")
		if v, ok := vars[name]; ok {
			return v
		}
		return m
	})
}

// legacyFSSpec is osbuild's fs_spec_decode: the kind ("UUID", "LABEL", or
// "" for a device) and the value.
func legacyFSSpec(f legacyFS) (string, string) {
	switch {
	case f.UUID != "":
		return "UUID", f.UUID
	case f.Label != "":
		return "LABEL", f.Label
	}
	return "", f.Device
}

func grubLegacyCfg(o *grubLegacyOptions, c *grubLegacyConfig, uefi bool) string {
	grubFS, home := o.RootFS, "/boot/"
	if o.BootFS != nil {
		grubFS, home = *o.BootFS, "/"
	}
	kind, id := legacyFSSpec(grubFS)
	search := id
	switch kind {
	case "UUID":
		search = "--fs-uuid " + id
	case "LABEL":
		search = "--label " + id
	}
	root := ""
	if kind, id := legacyFSSpec(o.RootFS); kind != "" {
		root = kind + "=" + id
	} else {
		root = id
	}
	loader := ""
	if o.BIOS != nil && o.BIOS.Platform == "i386-pc" {
		loader = map[bool]string{true: "efi", false: "16"}[uefi]
	}
	vars := map[string]string{
		"timeout": fmt.Sprint(c.Timeout), "cmdline": "root=" + root + " " + c.Cmdline,
		"search": search, "loader": loader, "grub_home": home,
	}
	if c.Serial != "" {
		vars["serial"] = "\n" + c.Serial
	}
	if len(c.TerminalInput) > 0 {
		vars["terminal_input"] = "\nterminal_input " + strings.Join(c.TerminalInput, " ")
	}
	if len(c.TerminalOutput) > 0 {
		vars["terminal_output"] = "\nterminal_output " + strings.Join(c.TerminalOutput, " ")
	}
	data := safeSubstitute(grubLegacyCfgTemplate, vars)
	for _, e := range o.Entries {
		title := fmt.Sprintf("%s (%s) %s", e.Product.Name, e.Kernel, e.Product.Version)
		if e.Product.Nick != "" {
			title += " (" + e.Product.Nick + ")"
		}
		vars["id"], vars["title"], vars["kernel"] = e.ID, title, e.Kernel
		data += "\n" + strings.TrimLeft(safeSubstitute(grubLegacyEntryTemplate, vars), "\n")
	}
	return data + "\n"
}

// grubLegacyDefaults is osbuild's /etc/default/grub.
func grubLegacyDefaults(c *grubLegacyConfig) string {
	def := "saved"
	if c.Default != nil {
		def = *c.Default
	}
	style := c.TimeoutStyle
	if style == "" {
		style = "countdown"
	}
	boolOr := func(b *bool) bool { return b == nil || *b }
	data := fmt.Sprintf("GRUB_TIMEOUT=%d\nGRUB_CMDLINE_LINUX=\"%s\"\nGRUB_DISABLE_SUBMENU=%t\nGRUB_DISABLE_RECOVERY=%t\nGRUB_TIMEOUT_STYLE=%s\nGRUB_DEFAULT=%s\n",
		c.Timeout, c.Cmdline, boolOr(c.DisableSubmenu), boolOr(c.DisableRecovery), style, def)
	for _, kv := range []struct{ key, val string }{
		{"GRUB_DISTRIBUTOR", c.Distributor}, {"GRUB_SERIAL_COMMAND", c.Serial},
		{"GRUB_TERMINAL", strings.Join(c.Terminal, " ")},
		{"GRUB_TERMINAL_INPUT", strings.Join(c.TerminalInput, " ")},
		{"GRUB_TERMINAL_OUTPUT", strings.Join(c.TerminalOutput, " ")},
	} {
		if kv.val != "" {
			data += kv.key + "=\"" + kv.val + "\"\n"
		}
	}
	return data
}
