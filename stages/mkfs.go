package stages

import "fmt"

// org.osbuild.mkfs.{ext4,xfs,btrfs,fat}: make a filesystem on the
// stage's "device" (an org.osbuild.loopback over a file in the tree). Loop
// devices need the security.insecure entitlement; to make filesystems
// without privileges, use org.osbuild.image or the qemu assembler, which
// write filesystems straight into image files.
func init() {
	for _, fs := range []string{"ext4", "xfs", "btrfs", "fat"} {
		Define(Definition[mkfsOptions]{
			Type: "org.osbuild.mkfs." + fs,
			Plan: planMkfs,
			Run: func(rt *Runtime, o *mkfsOptions) error {
				detach, err := rt.Attach()
				if err != nil {
					return err
				}
				defer detach()
				name, args := mkfsCommand(fs, o)
				return rt.Run(name, append(args, rt.DevicePaths["device"])...)
			},
		})
	}
}

func planMkfs(c *Context, _ *mkfsOptions) (*Plan, error) {
	if c.Device("device") == nil {
		return nil, c.StageError("%s needs a device named \"device\" (org.osbuild.loopback)", c.Type)
	}
	return &Plan{Exec: &Exec{Root: RootBuildroot, Insecure: true}}, nil
}

type mkfsOptions struct {
	UUID             string `json:"uuid"`
	Label            string `json:"label"`
	LazyInit         *bool  `json:"lazy_init"`
	MetadataCsumSeed *bool  `json:"metadata_csum_seed"`
	VolID            string `json:"volid"`
	FatSize          int    `json:"fat-size"`
}

// mkfsCommand is the mkfs invocation for a filesystem and its options.
func mkfsCommand(fs string, o *mkfsOptions) (string, []string) {
	switch fs {
	case "ext4":
		args := []string{"-F", "-U", o.UUID}
		if o.Label != "" {
			args = append(args, "-L", o.Label)
		}
		if o.LazyInit != nil {
			v := "0"
			if *o.LazyInit {
				v = "1"
			}
			args = append(args, "-E", "lazy_itable_init="+v+",lazy_journal_init="+v)
		}
		if o.MetadataCsumSeed != nil {
			f := "metadata_csum_seed"
			if !*o.MetadataCsumSeed {
				f = "^" + f
			}
			args = append(args, "-O", f)
		}
		return "mkfs.ext4", args
	case "xfs":
		args := []string{"-f", "-m", "uuid=" + o.UUID}
		if o.Label != "" {
			args = append(args, "-L", o.Label)
		}
		return "mkfs.xfs", args
	case "btrfs":
		args := []string{"-f", "-U", o.UUID}
		if o.Label != "" {
			args = append(args, "-L", o.Label)
		}
		return "mkfs.btrfs", args
	default: // fat
		args := []string{"-i", o.VolID}
		if o.Label != "" {
			args = append(args, "-n", o.Label)
		}
		if o.FatSize != 0 {
			args = append(args, "-F", fmt.Sprint(o.FatSize))
		}
		return "mkfs.fat", args
	}
}
