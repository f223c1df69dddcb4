package stages

import (
	"fmt"
	"strings"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// sfdisk is org.osbuild.sfdisk, and org.osbuild.sgdisk (GPT only), both
// written with sfdisk: a partition table with osbuild's options (start and
// size in sectors, type, uuid, name, bootable, GPT attrs). On osbuild's
// "device" (a loopback over a file) it needs security.insecure; with
// "filename" instead, it writes into that file in the tree, unprivileged.
type sfdisk struct{ name string }

var _ Runner = sfdisk{}

func init() {
	Register(manifest.KindStage, sfdisk{"org.osbuild.sfdisk"})
	Register(manifest.KindStage, sfdisk{"org.osbuild.sgdisk"})
}

func (s sfdisk) Type() string { return s.name }

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

func (s sfdisk) Plan(st *manifest.Stage) (*Plan, error) {
	var o sfdiskOptions
	if err := decode(st, &o); err != nil {
		return nil, err
	}
	hasDevice := st.Device("device") != nil
	switch {
	case hasDevice && o.Filename != "":
		return nil, optionError(st, manifest.Path{"filename"}, "give either a device or a filename, not both")
	case hasDevice:
		return &Plan{Exec: &Exec{Root: RootBuildroot, Insecure: true}}, nil
	case o.Filename == "":
		return nil, optionError(st, nil, "say where the partition table goes: \"filename\" (a file in the tree, unprivileged) or a loopback device named \"device\"")
	}
	return execInBuildroot(), nil
}

func (s sfdisk) Run(rt *Runtime) error {
	var o sfdiskOptions
	if err := rt.Decode(&o); err != nil {
		return err
	}
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
	d := &Disk{PTType: o.Label, PTUUID: o.UUID}
	if s.name == "org.osbuild.sgdisk" {
		d.PTType = "gpt"
	}
	if d.PTType == "" {
		return fmt.Errorf("no partition table label (gpt or dos)")
	}
	for _, p := range o.Partitions {
		d.Partitions = append(d.Partitions, Partition{Start: p.Start * sector, Size: p.Size * sector, Type: strings.ToUpper(p.Type),
			UUID: p.UUID, Name: p.Name, Bootable: p.Bootable, Attrs: p.Attrs})
	}
	return d.partition(rt, target)
}
