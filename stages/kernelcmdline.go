package stages

import (
	"runtime"
	"strings"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// org.osbuild.kernel-cmdline: the kernel command line in /etc/kernel/cmdline,
// as osbuild writes it (no line break at the end). A command line longer
// than kernel_cmdline_size (default: the kernel's limit on the build
// architecture, 2048 on x86 and arm64) is refused, as osbuild's stage
// refuses it when it runs. org.osbuild.grub2 later in the pipeline boots
// with its kernel_opts when it has none of its own (handed over when the
// build is planned, see planGrub2). File operations only.
func init() {
	Define(Definition[kernelCmdlineOptions]{Type: "org.osbuild.kernel-cmdline", Plan: planKernelCmdline})
}

type kernelCmdlineOptions struct {
	RootFSUUID        string `json:"root_fs_uuid"`
	KernelOpts        string `json:"kernel_opts"`
	KernelCmdlineSize *int   `json:"kernel_cmdline_size"`
}

// kernelCmdlineMax is the kernel's command line limit by architecture (its
// COMMAND_LINE_SIZE), as osbuild's stage has it; 4096 elsewhere.
var kernelCmdlineMax = map[string]int{"amd64": 2048, "386": 2048, "arm": 1024, "arm64": 2048}

func planKernelCmdline(c *Context, o *kernelCmdlineOptions) (*Plan, error) {
	var parts []string
	if o.RootFSUUID != "" {
		parts = append(parts, "root=UUID="+o.RootFSUUID)
	}
	if o.KernelOpts != "" {
		parts = append(parts, o.KernelOpts)
	}
	cmdline := strings.Join(parts, " ")
	limit, ok := kernelCmdlineMax[runtime.GOARCH]
	if !ok {
		limit = 4096
	}
	if o.KernelCmdlineSize != nil {
		limit = *o.KernelCmdlineSize
	}
	if len(cmdline) > limit {
		return nil, c.OptionError(manifest.Path{"kernel_opts"}, "the kernel command line is %d bytes, more than %d (kernel_cmdline_size)", len(cmdline), limit)
	}
	return &Plan{Files: WriteFile("/etc/kernel/cmdline", 0o644, []byte(cmdline))}, nil
}
