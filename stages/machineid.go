package stages

import "github.com/osbuildkit/osbuildkit/manifest"

// machineID is org.osbuild.machine-id: "yes" makes the next boot a first
// boot (/etc/machine-id says "uninitialized"), "no" leaves it empty so
// systemd generates an ID without first-boot units, "preserve" keeps what
// the tree has.
type machineID struct{}

var _ Stage = machineID{}

func init() { Register(manifest.KindStage, machineID{}) }

func (machineID) Type() string { return "org.osbuild.machine-id" }

func (machineID) Plan(st *manifest.Stage) (*Plan, error) {
	var o struct {
		FirstBoot string `json:"first-boot"`
	}
	if err := decode(st, &o); err != nil {
		return nil, err
	}
	switch o.FirstBoot {
	case "yes":
		return &Plan{Files: WriteFile("/etc/machine-id", 0o444, []byte("uninitialized\n"))}, nil
	case "no":
		return &Plan{Files: WriteFile("/etc/machine-id", 0o444, nil)}, nil
	}
	return &Plan{}, nil
}
