package stages

import (
	"fmt"
	"strings"
)

// org.osbuild.fstab: write /etc/fstab, each filesystem by UUID,
// LABEL, PARTUUID or device path. File operations only.
func init() {
	Define(Definition[fstabOptions]{Type: "org.osbuild.fstab", Plan: planFstab})
}

type fstabOptions struct {
	Filesystems []fstabEntry `json:"filesystems"`
}

type fstabEntry struct {
	UUID     string `json:"uuid"`
	Label    string `json:"label"`
	PartUUID string `json:"partuuid"`
	Device   string `json:"device"`
	VFSType  string `json:"vfs_type"`
	Path     string `json:"path"`
	Options  string `json:"options"`
	Freq     int    `json:"freq"`
	PassNo   int    `json:"passno"`
}

func planFstab(_ *Context, o *fstabOptions) (*Plan, error) {
	var b strings.Builder
	b.WriteString("# /etc/fstab, written by osbuildkit\n")
	for _, fs := range o.Filesystems {
		b.WriteString(fstabLine(fs) + "\n")
	}
	return &Plan{Files: WriteFile("/etc/fstab", 0o644, []byte(b.String()))}, nil
}

func fstabLine(fs fstabEntry) string {
	source := fs.Device
	switch {
	case fs.UUID != "":
		source = "UUID=" + fs.UUID
	case fs.Label != "":
		source = "LABEL=" + fs.Label
	case fs.PartUUID != "":
		source = "PARTUUID=" + fs.PartUUID
	}
	vfs, opts := fs.VFSType, fs.Options
	if vfs == "" {
		vfs = "none"
	}
	if opts == "" {
		opts = "defaults"
	}
	return fmt.Sprintf("%s\t%s\t%s\t%s\t%d\t%d", source, fs.Path, vfs, opts, fs.Freq, fs.PassNo)
}
