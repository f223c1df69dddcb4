package stages

import (
	"errors"

	"github.com/osbuildkit/osbuildkit/disk"
	"github.com/osbuildkit/osbuildkit/manifest"
)

// org.osbuild.image (osbuildkit's own): assemble a partitioned disk image
// from the "tree" input into filename, without loop devices or mounts, so
// it needs no privilege. "format" converts it in the same step (qcow2 and
// friends keep it small; raw images lose their holes once they leave
// BuildKit). Partition and filesystem options are the qemu assembler's.
func init() {
	Define(Definition[imageOptions]{Type: "org.osbuild.image", Plan: planImage, Run: runImage})
}

var _ disk.Runner = (*Runtime)(nil)

type imageOptions struct {
	disk.Options
	Filename string       `json:"filename"`
	Format   *disk.Format `json:"format"`
}

func planImage(c *Context, o *imageOptions) (*Plan, error) {
	return PlanDiskImage(c, &o.Options, o.Filename)
}

func runImage(rt *Runtime, o *imageOptions) error {
	f := disk.Format{Type: "raw"}
	if o.Format != nil {
		f = *o.Format
	}
	return BuildDiskImage(rt, &o.Options, o.Filename, f)
}

// PlanDiskImage checks a disk image's layout before the build and, when
// the options leave the root filesystem's UUID out, hands the helper the
// one the tree's org.osbuild.grub2 stage boots (root_fs_uuid), so the
// disk and its GRUB configuration agree.
func PlanDiskImage(c *Context, o *disk.Options, filename string) (*Plan, error) {
	if err := c.RequireInput("tree"); err != nil {
		return nil, err
	}
	d, _, err := o.Layout()
	if err != nil {
		var le *manifest.LocationError
		if errors.As(err, &le) {
			le.Path = append(c.OptionsPath(), le.Path...)
		}
		return nil, err
	}
	plan, err := outputPlan(c, filename)
	if err != nil {
		return nil, err
	}
	if uuid := handedRootUUID(c, d); uuid != "" {
		plan.Exec.Options = withOption(c.Options, "root_fs_uuid", uuid)
	}
	plan.Exec.Report = bootLocator(c)
	plan.Exec.Incremental = "tree"
	return plan, nil
}

// handedRootUUID is the root UUID (rootfs.uuid, else root_fs_uuid) of the
// last org.osbuild.grub2 stage of the pipeline the "tree" input names, when
// the disk's root filesystem has no UUID of its own.
func handedRootUUID(c *Context, d *disk.Disk) string {
	unnamed := false
	for _, p := range d.Partitions {
		if p.FS != nil && p.FS.Mountpoint == "/" && p.FS.UUID == "" {
			unnamed = true
		}
	}
	if !unnamed {
		return ""
	}
	uuid := ""
	for _, st := range treeStages(c, "org.osbuild.grub2") {
		if v, _ := st.Options["root_fs_uuid"].(string); v != "" {
			uuid = v
		}
		if v, _ := obj(st.Options["rootfs"])["uuid"].(string); v != "" {
			uuid = v
		}
	}
	return uuid
}

// BuildDiskImage assembles the "tree" input into the output file in the
// requested format. The layout's warnings were given when the build was
// planned (so they are seen even when this step comes from the cache).
func BuildDiskImage(rt *Runtime, o *disk.Options, filename string, f disk.Format) error {
	d, _, err := o.Layout()
	if err != nil {
		return err
	}
	tree, err := rt.InputPath("tree")
	if err != nil {
		return err
	}
	if rt.Base {
		base, err := rt.Path("/" + BaseFile)
		if err != nil {
			return err
		}
		return d.AssembleBase(withoutSync(rt), tree, base, rt.SourceEpoch)
	}
	out, err := rt.Path("/" + filename)
	if err != nil {
		return err
	}
	raw := out + ".raw.partial"
	if rt.BaseDisk != "" {
		err = d.AssembleOnto(withoutSync(rt), rt.BaseDisk, rt.BaseTree, tree, raw, rt.SourceEpoch)
	} else {
		err = d.Assemble(withoutSync(rt), tree, raw, rt.SourceEpoch)
	}
	if err != nil {
		return err
	}
	if err := rt.Report(d.BootChecks(tree)); err != nil {
		return err
	}
	sums, err := disk.Convert(withoutSync(rt), raw, out, f)
	if err != nil {
		return err
	}
	return rt.ReportSums(sums)
}

// obj is v as a JSON object, or nil.
func obj(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}
