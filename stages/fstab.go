package stages

import (
	"encoding/json"
	"fmt"
	"strings"
)

// org.osbuild.fstab: write /etc/fstab, each filesystem by UUID, LABEL,
// PARTLABEL or device (in that order of preference), as osbuild does. File
// operations; with "ostree", the fstab of that OSTree deployment in the
// tree instead, which runs in the buildroot to find it.
func init() {
	Define(Definition[fstabOptions]{Type: "org.osbuild.fstab", Plan: planFstab, Run: runFstab})
}

type fstabOptions struct {
	Filesystems []fstabEntry `json:"filesystems"`
	OSTree      *struct {
		Deployment ostreeDeployment `json:"deployment"`
	} `json:"ostree"`
}

type fstabEntry struct {
	UUID      string      `json:"uuid"`
	Label     string      `json:"label"`
	PartLabel string      `json:"partlabel"`
	Device    string      `json:"device"`
	VFSType   string      `json:"vfs_type"`
	Path      string      `json:"path"`
	Options   string      `json:"options"`
	Freq      json.Number `json:"freq"`
	PassNo    json.Number `json:"passno"`
}

// UnmarshalJSON ignores keys osbuild's schema lets through unchecked.
func (e *fstabEntry) UnmarshalJSON(b []byte) error {
	type plain fstabEntry
	return json.Unmarshal(b, (*plain)(e))
}

func planFstab(_ *Context, o *fstabOptions) (*Plan, error) {
	if o.OSTree != nil {
		return InBuildroot(), nil
	}
	return &Plan{Files: WriteFile("/etc/fstab", 0o644, []byte(fstabText(o)))}, nil
}

func runFstab(rt *Runtime, o *fstabOptions) error {
	root, err := o.OSTree.Deployment.path(rt)
	if err != nil {
		return err
	}
	return rt.WriteFile(root+"/etc/fstab", []byte(fstabText(o)), 0o644)
}

func fstabText(o *fstabOptions) string {
	var b strings.Builder
	b.WriteString("# /etc/fstab, written by osbuildkit\n")
	for _, fs := range o.Filesystems {
		b.WriteString(fstabLine(fs) + "\n")
	}
	return b.String()
}

func fstabLine(fs fstabEntry) string {
	source := fs.Device
	switch {
	case fs.UUID != "":
		source = "UUID=" + fs.UUID
	case fs.Label != "":
		source = "LABEL=" + fs.Label
	case fs.PartLabel != "":
		source = "PARTLABEL=" + fs.PartLabel
	}
	vfs, opts := fs.VFSType, fs.Options
	if vfs == "" {
		vfs = "none"
	}
	if opts == "" {
		opts = "defaults"
	}
	return fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s", source, fs.Path, vfs, opts, number(fs.Freq), number(fs.PassNo))
}

// number prints a number as the manifest writes it; absent is 0.
func number(n json.Number) string {
	if n == "" {
		return "0"
	}
	return n.String()
}
