package stages

import "strings"

// org.osbuild.kernel-cmdline: the kernel command line in /etc/kernel/cmdline,
// as osbuild writes it. org.osbuild.grub2 later in the pipeline boots with
// its kernel_opts when it has none of its own (handed over when the build
// is planned, see planGrub2). File operations only.
func init() {
	Define(Definition[kernelCmdlineOptions]{Type: "org.osbuild.kernel-cmdline", Plan: planKernelCmdline})
}

type kernelCmdlineOptions struct {
	RootFSUUID string `json:"root_fs_uuid"`
	KernelOpts string `json:"kernel_opts"`
}

func planKernelCmdline(_ *Context, o *kernelCmdlineOptions) (*Plan, error) {
	var parts []string
	if o.RootFSUUID != "" {
		parts = append(parts, "root=UUID="+o.RootFSUUID)
	}
	if o.KernelOpts != "" {
		parts = append(parts, o.KernelOpts)
	}
	return &Plan{Files: WriteFile("/etc/kernel/cmdline", 0o644, []byte(strings.Join(parts, " ")+"\n"))}, nil
}
