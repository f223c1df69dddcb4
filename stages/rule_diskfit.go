package stages

import (
	"encoding/json"

	"github.com/osbuildkit/osbuildkit/disk"
	"github.com/osbuildkit/osbuildkit/manifest"
)

// diskFitRule reports a last partition that runs past the end of its disk,
// which the disk stages fit to the disk instead of failing (the users'
// bootable example has one): the image has a smaller partition than the
// manifest says.
var diskFitRule = Rule{
	Name:        "DiskPartitionFitted",
	Description: "A last partition that runs past the end of the disk is fitted to it.",
	Check: func(_ *manifest.Manifest, pl *manifest.Pipeline) []Finding {
		var out []Finding
		for _, st := range pl.Stages {
			if !makesDisk(st) {
				continue
			}
			raw, err := json.Marshal(st.Options)
			if err != nil {
				continue
			}
			var o disk.Options
			if json.Unmarshal(raw, &o) != nil {
				continue // the stage's plan reports it
			}
			_, warnings, _ := o.Layout()
			for _, w := range warnings {
				w.Path = append(st.OptionsPath(), w.Path...)
				out = append(out, Finding{Stage: st, At: w})
			}
		}
		return out
	},
}

// makesDisk says whether a stage lays out a partitioned disk from
// disk.Options.
func makesDisk(st *manifest.Stage) bool {
	return (st.Kind == manifest.KindStage && st.Type == "org.osbuild.image") ||
		(st.Kind == manifest.KindAssembler && st.Type == "org.osbuild.qemu")
}
