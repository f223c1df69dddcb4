package stages

import (
	"strings"

	"github.com/osbuildkit/osbuildkit/disk"
	"github.com/osbuildkit/osbuildkit/manifest"
)

// treeStages are the stages of the given types, in order, of the
// pipelines a disk stage's "tree" input names.
func treeStages(c *Context, types ...string) []*manifest.Stage {
	var out []*manifest.Stage
	in := c.Input("tree")
	if in == nil {
		return nil
	}
	for _, ref := range in.References {
		name, ok := ref.PipelineName()
		pl := c.Manifest.Pipeline(name)
		if !ok || pl == nil {
			continue
		}
		for _, st := range pl.Stages {
			for _, t := range types {
				if st.Type == t {
					out = append(out, st)
				}
			}
		}
	}
	return out
}

// bootLocator places a boot check's finding at the stage of the tree that
// should change: the last one installing packages for a missing init or
// kernel, grub2 for its configuration and firmware, fstab for its
// entries; the disk stage's own options when the tree has no such stage.
func bootLocator(c *Context) Locator {
	return func(f disk.BootFinding) (*manifest.Stage, manifest.Path) {
		last := func(types ...string) *manifest.Stage {
			if sts := treeStages(c, types...); len(sts) > 0 {
				return sts[len(sts)-1]
			}
			return nil
		}
		var st *manifest.Stage
		key := ""
		switch f.Check {
		case disk.CheckInit, disk.CheckKernel:
			st = last("org.osbuild.apt", "org.osbuild.debootstrap", "org.osbuild.debian.debootstrap")
			if st != nil {
				key = packageListKey(st.Type)
			}
		case disk.CheckGRUBRoot, disk.CheckEFI, disk.CheckBIOS, disk.CheckSerialCons:
			st, key = last("org.osbuild.grub2"), grubKey(f.Check)
		case disk.CheckFstab:
			if st = last("org.osbuild.fstab"); st != nil {
				return st, fstabEntryPath(st, f.Ref)
			}
		}
		if st == nil {
			return c.Stage, c.OptionsPath()
		}
		if _, set := st.Options[key]; key == "" || !set {
			return st, st.OptionsPath()
		}
		return st, st.OptionsPath().Key(key)
	}
}

func grubKey(check string) string {
	switch check {
	case disk.CheckGRUBRoot:
		return "root_fs_uuid"
	case disk.CheckEFI:
		return "uefi"
	case disk.CheckBIOS:
		return "legacy"
	}
	return "kernel_opts"
}

// fstabEntryPath is the fstab stage's entry for source (UUID=…, LABEL=…
// or a device), else its filesystems.
func fstabEntryPath(st *manifest.Stage, source string) manifest.Path {
	path := st.OptionsPath().Key("filesystems")
	kind, v, _ := strings.Cut(source, "=")
	fss, _ := st.Options["filesystems"].([]any)
	for i, raw := range fss {
		fs := obj(raw)
		if dev, _ := fs["device"].(string); dev == source {
			return path.Index(i)
		}
		if got, _ := fs[strings.ToLower(kind)].(string); got != "" && strings.EqualFold(got, v) {
			return path.Index(i)
		}
	}
	return path
}
