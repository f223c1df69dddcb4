package stages

import (
	"fmt"
	"strings"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// keymap is org.osbuild.keymap: the console keymap in /etc/vconsole.conf
// and, Debian's way, the keyboard layout in /etc/default/keyboard
// (x11-keymap layouts, else the keymap's name). File operations only.
type keymap struct{}

var _ Stage = keymap{}

func init() { Register(manifest.KindStage, keymap{}) }

func (keymap) Type() string { return "org.osbuild.keymap" }

func (keymap) Plan(st *manifest.Stage) (*Plan, error) {
	var o struct {
		Keymap string `json:"keymap"`
		X11    *struct {
			Layouts []string `json:"layouts"`
		} `json:"x11-keymap"`
	}
	if err := decode(st, &o); err != nil {
		return nil, err
	}
	layout := o.Keymap
	if o.X11 != nil {
		layout = strings.Join(o.X11.Layouts, ",")
	}
	keyboard := fmt.Sprintf("XKBMODEL=\"pc105\"\nXKBLAYOUT=%q\nXKBVARIANT=\"\"\nXKBOPTIONS=\"\"\n\nBACKSPACE=\"guess\"\n", layout)
	files := WriteFile("/etc/vconsole.conf", 0o644, []byte("KEYMAP="+o.Keymap+"\n"))
	files = append(files, WriteFile("/etc/default/keyboard", 0o644, []byte(keyboard))...)
	return &Plan{Files: files}, nil
}
