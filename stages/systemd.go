package stages

import (
	"fmt"
	"os"
	"path/filepath"
)

// org.osbuild.systemd: enable, disable and mask units and set
// the default target, with the tree's systemctl working on files only
// (--root), so nothing needs a running systemd. Generators are masked by
// linking them to /dev/null in /etc/systemd/system-generators, as osbuild
// does (systemctl cannot mask them).
func init() {
	Define(Definition[systemdOptions]{Type: "org.osbuild.systemd", Plan: planInTree[systemdOptions], Run: runSystemd})
}

type systemdOptions struct {
	Enabled       []string `json:"enabled_services"`
	Disabled      []string `json:"disabled_services"`
	Masked        []string `json:"masked_services"`
	Generators    []string `json:"masked_generators"`
	DefaultTarget string   `json:"default_target"`
}

func runSystemd(rt *Runtime, o *systemdOptions) error {
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
	for _, g := range o.Generators {
		p, err := rt.Path("/etc/systemd/system-generators/" + g)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.Symlink("/dev/null", p); err != nil {
			return fmt.Errorf("masking generator %s: %w", g, err)
		}
	}
	if o.DefaultTarget != "" {
		return rt.Run("systemctl", root, "set-default", o.DefaultTarget)
	}
	return nil
}
