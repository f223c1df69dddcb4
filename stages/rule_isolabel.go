package stages

import (
	"fmt"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// isoLabelRule warns, at its isolabel, when a GRUB ISO menu
// (org.osbuild.grub2.iso or grub2.iso.legacy) ends up in an ISO whose
// volume ID (org.osbuild.xorrisofs volid) is another: the menu finds its
// root by that label, so the ISO would not boot. osbuild builds it anyway.
// The menu is in the ISO when its pipeline is the xorrisofs stage's tree
// input, or an input of that pipeline's stages (the efiboot.img tree),
// and so on.
var isoLabelRule = Rule{
	Name:        "ISOLabelMismatch",
	Description: "A GRUB ISO menu searches for a label that its ISO's volume ID is not.",
	Check: func(m *manifest.Manifest, pl *manifest.Pipeline) []Finding {
		var out []Finding
		for _, iso := range m.Pipelines {
			for _, st := range iso.Stages {
				if st.Type != "org.osbuild.xorrisofs" {
					continue
				}
				volid, _ := st.Options["volid"].(string)
				if in := st.Input("tree"); in != nil && treeIncludes(m, in, pl.Name) {
					out = append(out, isoLabelFindings(pl, st, volid)...)
				}
			}
		}
		return out
	},
}

func isoLabelFindings(pl *manifest.Pipeline, iso *manifest.Stage, volid string) []Finding {
	var out []Finding
	for _, st := range pl.Stages {
		if st.Type != "org.osbuild.grub2.iso" && st.Type != "org.osbuild.grub2.iso.legacy" {
			continue
		}
		label, _ := st.Options["isolabel"].(string)
		if label == volid {
			continue
		}
		out = append(out, Finding{Stage: st, At: &manifest.LocationError{Path: st.OptionsPath().Key("isolabel"),
			Err: fmt.Errorf("the menu finds its root by the label %q, but the ISO made from it (%s) has the volume ID %q: the ISO would not boot; make isolabel and volid the same", label, iso.Path.Key("options").Key("volid"), volid)}})
	}
	return out
}

// treeIncludes says whether the tree input in, or a pipeline its stages
// take as input, transitively, is the pipeline named name.
func treeIncludes(m *manifest.Manifest, in *manifest.Input, name string) bool {
	seen := map[string]bool{}
	var walk func(in *manifest.Input) bool
	walk = func(in *manifest.Input) bool {
		for _, r := range in.References {
			n, ok := r.PipelineName()
			if !ok || seen[n] {
				continue
			}
			seen[n] = true
			if n == name {
				return true
			}
			if pl := m.Pipeline(n); pl != nil {
				for _, st := range pl.Stages {
					for _, sub := range st.Inputs {
						if sub.Origin == manifest.OriginPipeline && walk(sub) {
							return true
						}
					}
				}
			}
		}
		return false
	}
	return in.Origin == manifest.OriginPipeline && walk(in)
}
