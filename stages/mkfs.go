package stages

import (
	"fmt"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// mkfs is org.osbuild.mkfs.{ext4,xfs,btrfs,fat}: make a filesystem on the
// stage's "device" (an org.osbuild.loopback over a file in the tree). Loop
// devices need the security.insecure entitlement; to make filesystems
// without privileges, use org.osbuild.image or the qemu assembler, which
// write filesystems straight into image files.
type mkfs struct{ fs string }

var _ Runner = mkfs{}

func init() {
	for _, fs := range []string{"ext4", "xfs", "btrfs", "fat"} {
		Register(manifest.KindStage, mkfs{fs})
	}
}

func (m mkfs) Type() string { return "org.osbuild.mkfs." + m.fs }

func (m mkfs) Plan(st *manifest.Stage) (*Plan, error) {
	if st.Device("device") == nil {
		return nil, &manifest.LocationError{Path: st.Path, Err: fmt.Errorf("%s needs a device named \"device\" (org.osbuild.loopback)", st.Type)}
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

func (m mkfs) Run(rt *Runtime) error {
	var o mkfsOptions
	if err := rt.Decode(&o); err != nil {
		return err
	}
	detach, err := rt.Attach()
	if err != nil {
		return err
	}
	defer detach()
	dev := rt.DevicePaths["device"]
	name, args := mkfsCommand(m.fs, o)
	return rt.Run(name, append(args, dev)...)
}

// mkfsCommand is the mkfs invocation for a filesystem and its options.
func mkfsCommand(fs string, o mkfsOptions) (string, []string) {
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
