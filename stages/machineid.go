package stages

// org.osbuild.machine-id: "yes" makes the next boot a first
// boot (/etc/machine-id says "uninitialized"), "no" leaves it empty so
// systemd generates an ID without first-boot units, "preserve" keeps what
// the tree has.
func init() {
	Define(Definition[machineIDOptions]{Type: "org.osbuild.machine-id", Plan: planMachineID})
}

type machineIDOptions struct {
	FirstBoot string `json:"first-boot"`
}

func planMachineID(_ *Context, o *machineIDOptions) (*Plan, error) {
	switch o.FirstBoot {
	case "yes":
		return &Plan{Files: WriteFile("/etc/machine-id", 0o444, []byte("uninitialized\n"))}, nil
	case "no":
		return &Plan{Files: WriteFile("/etc/machine-id", 0o444, nil)}, nil
	}
	return &Plan{}, nil
}
