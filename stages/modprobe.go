package stages

import "strings"

// org.osbuild.modprobe: a modprobe.d(5) file in /usr/lib/modprobe.d. File
// operations only.
func init() {
	Define(Definition[modprobeOptions]{Type: "org.osbuild.modprobe", Plan: planModprobe})
}

type modprobeOptions struct {
	Filename string `json:"filename"`
	Commands []struct {
		Command    string `json:"command"`
		ModuleName string `json:"modulename"`
		Cmdline    string `json:"cmdline"`
		Options    string `json:"options"`
	} `json:"commands"`
}

func planModprobe(_ *Context, o *modprobeOptions) (*Plan, error) {
	var b strings.Builder
	for _, c := range o.Commands {
		line := c.Command + " " + c.ModuleName
		switch c.Command {
		case "install":
			line += " " + c.Cmdline
		case "options":
			line += " " + c.Options
		}
		b.WriteString(line + "\n")
	}
	return &Plan{Files: WriteFile("/usr/lib/modprobe.d/"+o.Filename, 0o644, []byte(b.String()))}, nil
}
