package stages

import (
	"fmt"
	"strings"
)

// org.osbuild.keymap: the console keymap (and "font") in
// /etc/vconsole.conf and, Debian's way, the keyboard layout in
// /etc/default/keyboard (x11-keymap layouts, else the keymap's name).
// File operations only.
func init() {
	Define(Definition[keymapOptions]{Type: "org.osbuild.keymap", Plan: planKeymap})
}

type keymapOptions struct {
	Keymap string `json:"keymap"`
	Font   string `json:"font"`
	X11    *struct {
		Layouts []string `json:"layouts"`
	} `json:"x11-keymap"`
}

func planKeymap(_ *Context, o *keymapOptions) (*Plan, error) {
	layout := o.Keymap
	if o.X11 != nil {
		layout = strings.Join(o.X11.Layouts, ",")
	}
	keyboard := fmt.Sprintf("XKBMODEL=\"pc105\"\nXKBLAYOUT=%q\nXKBVARIANT=\"\"\nXKBOPTIONS=\"\"\n\nBACKSPACE=\"guess\"\n", layout)
	vconsole := "KEYMAP=" + o.Keymap + "\n"
	if o.Font != "" {
		vconsole += "FONT=" + o.Font + "\n"
	}
	files := WriteFile("/etc/vconsole.conf", 0o644, []byte(vconsole))
	files = append(files, WriteFile("/etc/default/keyboard", 0o644, []byte(keyboard))...)
	return &Plan{Files: files}, nil
}
