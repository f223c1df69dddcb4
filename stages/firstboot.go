package stages

import (
	"strings"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// org.osbuild.first-boot: commands run once, on the image's
// first boot. As osbuild does it: a oneshot service in default.target.wants
// runs only while the flag file /etc/osbuild-first-boot exists, and its
// first command removes the flag, so a failed removal runs nothing else.
// File operations only.
func init() {
	Define(Definition[firstBootOptions]{Type: "org.osbuild.first-boot", Plan: planFirstBoot})
}

const (
	firstBootFlag = "/etc/osbuild-first-boot"
	firstBootUnit = "/usr/lib/systemd/system/osbuild-first-boot.service"
)

type firstBootOptions struct {
	Commands       []string `json:"commands"`
	WaitForNetwork bool     `json:"wait_for_network"`
}

func planFirstBoot(c *Context, o *firstBootOptions) (*Plan, error) {
	for i, cmd := range o.Commands {
		switch {
		case strings.ContainsAny(cmd, "\n\r"):
			return nil, c.OptionError(manifest.Path{"commands", i}, "%q has a line break: give each command as one line (osbuild writes it into the unit as it is, which adds lines to it)", cmd)
		case strings.TrimSpace(cmd) == "":
			return nil, c.OptionError(manifest.Path{"commands", i}, "the command is empty: an empty ExecStart= line would clear the unit's commands (osbuild writes it anyway)")
		}
	}
	var unit strings.Builder
	unit.WriteString("[Unit]\nDescription=OSBuild First Boot Service\nConditionPathExists=" + firstBootFlag + "\n")
	if o.WaitForNetwork {
		unit.WriteString("Wants=network-online.target\nAfter=network-online.target\n")
	}
	unit.WriteString("\n[Service]\nType=oneshot\nExecStart=/usr/bin/rm " + firstBootFlag + "\n")
	for _, cmd := range o.Commands {
		unit.WriteString("ExecStart=" + cmd + "\n") // one line each, as checked above
	}
	files := WriteFile(firstBootUnit, 0o644, []byte(unit.String()))
	files = append(files, WriteSymlink("/usr/lib/systemd/system/default.target.wants/osbuild-first-boot.service", "../osbuild-first-boot.service")...)
	files = append(files, WriteFile(firstBootFlag, 0o644, nil)...)
	return &Plan{Files: files}, nil
}
