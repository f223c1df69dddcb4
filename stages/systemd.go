package stages

import "github.com/osbuildkit/osbuildkit/manifest"

// systemd is org.osbuild.systemd: enable, disable and mask units and set
// the default target, with the tree's systemctl working on files only
// (--root), so nothing needs a running systemd.
type systemd struct{}

var _ Runner = systemd{}

func init() { Register(manifest.KindStage, systemd{}) }

func (systemd) Type() string { return "org.osbuild.systemd" }

type systemdOptions struct {
	Enabled       []string `json:"enabled_services"`
	Disabled      []string `json:"disabled_services"`
	Masked        []string `json:"masked_services"`
	DefaultTarget string   `json:"default_target"`
}

func (systemd) Plan(st *manifest.Stage) (*Plan, error) {
	var o systemdOptions
	if err := decode(st, &o); err != nil {
		return nil, err
	}
	return &Plan{Exec: &Exec{Root: RootTree}}, nil
}

func (systemd) Run(rt *Runtime) error {
	var o systemdOptions
	if err := rt.Decode(&o); err != nil {
		return err
	}
	root := "--root=" + rt.Tree
	for _, step := range []struct {
		verb  string
		units []string
	}{{"enable", o.Enabled}, {"disable", o.Disabled}, {"mask", o.Masked}} {
		if len(step.units) == 0 {
			continue
		}
		if err := rt.Run("systemctl", append([]string{root, step.verb}, step.units...)...); err != nil {
			return err
		}
	}
	if o.DefaultTarget != "" {
		return rt.Run("systemctl", root, "set-default", o.DefaultTarget)
	}
	return nil
}
