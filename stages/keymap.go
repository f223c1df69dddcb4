package stages

import (
	"fmt"
	"strings"
)

// org.osbuild.keymap: the console keymap in /etc/vconsole.conf
// and, Debian's way, the keyboard layout in /etc/default/keyboard
// (x11-keymap layouts, else the keymap's name). File operations only.
func init() {
	Define(Definition[keymapOptions]{Type: "org.osbuild.keymap", Plan: planKeymap})
}

type keymapOptions struct {
	Keymap string `json:"keymap"`
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
	files := WriteFile("/etc/vconsole.conf", 0o644, []byte("KEYMAP="+o.Keymap+"\n"))
	files = append(files, WriteFile("/etc/default/keyboard", 0o644, []byte(keyboard))...)
	return &Plan{Files: files}, nil
}
