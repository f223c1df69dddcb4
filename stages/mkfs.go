package stages

import "fmt"

// org.osbuild.mkfs.{ext4,xfs,btrfs,fat}: make a filesystem on the
// stage's "device" (an org.osbuild.loopback over a file in the tree). Loop
// devices need the security.insecure entitlement, except for FAT on a
// whole file, which mkfs.fat writes itself (fatimage.go); to make filesystems
// without privileges, use org.osbuild.image or the qemu assembler, which
// write filesystems straight into image files.
func init() {
	for _, fs := range []string{"ext4", "xfs", "btrfs", "fat"} {
		Define(Definition[mkfsOptions]{
			Type: "org.osbuild.mkfs." + fs,
			Plan: planMkfs,
			Run: func(rt *Runtime, o *mkfsOptions) error {
				name, args := mkfsCommand(fs, o)
				if d := rt.Devices["device"]; fs == "fat" {
					if file, ok := fatImageDevice(d.Type, d.Parent, d.Options); ok {
						image, err := rt.Path(file)
						if err != nil {
							return err
						}
						return rt.Run(name, append(args, image)...)
					}
				}
				detach, err := rt.Attach()
				if err != nil {
					return err
				}
				defer detach()
				return rt.Run(name, append(args, rt.DevicePaths["device"])...)
			},
		})
	}
}

func planMkfs(c *Context, _ *mkfsOptions) (*Plan, error) {
	if c.Device("device") == nil {
		return nil, c.StageError("%s needs a device named \"device\" (org.osbuild.loopback)", c.Type)
	}
	if c.Type == "org.osbuild.mkfs.fat" && planFATImages(c.Stage) {
		return InBuildroot(), nil // mkfs.fat on the file itself
	}
	return &Plan{Exec: &Exec{Root: RootBuildroot, Insecure: true}}, nil
}

type mkfsOptions struct {
	UUID             string `json:"uuid"`
	Label            string `json:"label"`
	LazyInit         *bool  `json:"lazy_init"`
	MetadataCsumSeed *bool  `json:"metadata_csum_seed"`
	OrphanFile       *bool  `json:"orphan_file"`
	Verity           *bool  `json:"verity"`
	Metadata         string `json:"metadata"`
	AgCount          *int   `json:"agcount"`
	VolID            string `json:"volid"`
	FatSize          int    `json:"fat-size"`
	Geometry         *struct {
		Heads           int `json:"heads"`
		SectorsPerTrack int `json:"sectors-per-track"`
	} `json:"geometry"`
}

// mkfsCommand is the mkfs invocation for a filesystem and its options, as
// osbuild's stages run them.
func mkfsCommand(fs string, o *mkfsOptions) (string, []string) {
	args := []string{"-U", o.UUID} // ext4, btrfs
	if o.Label != "" {
		args = append(args, "-L", o.Label)
	}
	switch fs {
	case "ext4":
		if o.LazyInit != nil {
			v := "0"
			if *o.LazyInit {
				v = "1"
			}
			args = append(args, "-E", "lazy_itable_init="+v, "-E", "lazy_journal_init="+v)
		}
		for _, f := range []struct {
			name string
			on   *bool
		}{{"verity", o.Verity}, {"orphan_file", o.OrphanFile}, {"metadata_csum_seed", o.MetadataCsumSeed}} {
			if f.on != nil {
				args = append(args, "-O", map[bool]string{true: "", false: "^"}[*f.on]+f.name)
			}
		}
		return "mkfs.ext4", append([]string{"-F"}, args...)
	case "xfs":
		args = []string{"-f", "-m", "uuid=" + o.UUID}
		if o.Label != "" {
			args = append(args, "-L", o.Label)
		}
		if o.AgCount != nil {
			args = append(args, "-d", fmt.Sprintf("agcount=%d", *o.AgCount))
		}
		return "mkfs.xfs", args
	case "btrfs":
		if o.Metadata != "" {
			args = append(args, "-m", o.Metadata)
		}
		return "mkfs.btrfs", append([]string{"-f"}, args...)
	}
	args = []string{"-I", "-i", o.VolID} // fat
	if o.Label != "" {
		args = append(args, "-n", o.Label)
	}
	if o.FatSize != 0 {
		args = append(args, "-F", fmt.Sprint(o.FatSize))
	}
	if o.Geometry != nil {
		args = append(args, "-g", fmt.Sprintf("%d/%d", o.Geometry.Heads, o.Geometry.SectorsPerTrack))
	}
	return "mkfs.fat", args
}
