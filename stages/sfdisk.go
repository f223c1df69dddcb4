package stages

import (
	"fmt"
	"strings"

	"github.com/osbuildkit/osbuildkit/disk"
	"github.com/osbuildkit/osbuildkit/manifest"
)

// org.osbuild.sfdisk, and org.osbuild.sgdisk (GPT only), both
// written with sfdisk: a partition table with osbuild's options (start and
// size in sectors, type, uuid, name, bootable, GPT attrs). On osbuild's
// "device" (a loopback over a file) it needs security.insecure; with
// "filename" instead, it writes into that file in the tree, unprivileged.
func init() {
	Define(Definition[sfdiskOptions]{Type: "org.osbuild.sfdisk", Plan: planSfdisk, Run: runSfdisk})
	Define(Definition[sfdiskOptions]{Type: "org.osbuild.sgdisk", Plan: planSfdisk, Run: runSfdisk})
}

type sfdiskOptions struct {
	Label      string `json:"label"`
	UUID       string `json:"uuid"`
	Filename   string `json:"filename"`
	Partitions []struct {
		Start    int64  `json:"start"`
		Size     int64  `json:"size"`
		Type     string `json:"type"`
		UUID     string `json:"uuid"`
		Name     string `json:"name"`
		Bootable bool   `json:"bootable"`
		Attrs    []int  `json:"attrs"`
	} `json:"partitions"`
}

func planSfdisk(c *Context, o *sfdiskOptions) (*Plan, error) {
	hasDevice := c.Device("device") != nil
	switch {
	case hasDevice && o.Filename != "":
		return nil, c.OptionError(manifest.Path{"filename"}, "give either a device or a filename, not both")
	case hasDevice:
		return &Plan{Exec: &Exec{Root: RootBuildroot, Insecure: true}}, nil
	case o.Filename == "":
		return nil, c.OptionError(nil, "say where the partition table goes: \"filename\" (a file in the tree, unprivileged) or a loopback device named \"device\"")
	}
	return InBuildroot(), nil
}

func runSfdisk(rt *Runtime, o *sfdiskOptions) error {
	target := ""
	if o.Filename != "" {
		p, err := rt.Path(o.Filename)
		if err != nil {
			return err
		}
		target = p
	} else {
		detach, err := rt.Attach()
		if err != nil {
			return err
		}
		defer detach()
		target = rt.DevicePaths["device"]
	}
	d := &disk.Disk{PTType: o.Label, PTUUID: o.UUID}
	if rt.Type == "org.osbuild.sgdisk" {
		d.PTType = "gpt"
	}
	if d.PTType == "" {
		return fmt.Errorf("no partition table label (gpt or dos)")
	}
	for _, p := range o.Partitions {
		d.Partitions = append(d.Partitions, disk.Partition{Start: p.Start * disk.Sector, Size: p.Size * disk.Sector, Type: strings.ToUpper(p.Type),
			UUID: p.UUID, Name: p.Name, Bootable: p.Bootable, Attrs: p.Attrs})
	}
	return d.WriteTable(rt, target)
}
