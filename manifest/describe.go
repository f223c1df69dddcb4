package manifest

import (
	"encoding/base64"
	"maps"
)

// Describe returns the manifest as a version-2 document, every stage with
// its osbuild ID, like `osbuild --inspect`. Assemblers appear as the single
// stage of their "assembler" pipeline.
func (m *Manifest) Describe() map[string]any {
	var pls []any
	for _, pl := range m.Pipelines {
		d := map[string]any{"name": pl.Name}
		if pl.Build != "" {
			d["build"] = "name:" + pl.Build
		}
		if pl.Runner != "" {
			d["runner"] = pl.Runner
		}
		if pl.SourceEpoch != nil {
			d["source-epoch"] = *pl.SourceEpoch
		}
		stages := []any{}
		for _, st := range pl.Stages {
			stages = append(stages, describeStage(st))
		}
		d["stages"] = stages
		pls = append(pls, d)
	}
	out := map[string]any{"version": "2", "pipelines": pls}
	if src := m.Sources.describe(); len(src) > 0 {
		out["sources"] = src
	}
	if m.explicitExports {
		var exports []any
		for _, e := range m.Exports {
			exports = append(exports, map[string]any{"name": e})
		}
		out["metadata"] = map[string]any{"exports": exports}
	}
	return out
}

func describeStage(st *Stage) map[string]any {
	d := map[string]any{"type": st.Type, "id": st.ID}
	if len(st.Options) > 0 {
		d["options"] = st.Options
	}
	if len(st.Inputs) > 0 {
		ins := map[string]any{}
		for _, in := range st.Inputs {
			refs := map[string]any{}
			for _, r := range in.References {
				refs[r.ID] = r.Options
			}
			di := map[string]any{"type": in.Type, "origin": in.Origin, "references": refs}
			if len(in.Options) > 0 {
				di["options"] = in.Options
			}
			ins[in.Name] = di
		}
		d["inputs"] = ins
	}
	if len(st.Devices) > 0 {
		devs := map[string]any{}
		for _, dv := range st.Devices {
			dd := map[string]any{"type": dv.Type}
			if dv.Parent != "" {
				dd["parent"] = dv.Parent
			}
			if len(dv.Options) > 0 {
				dd["options"] = dv.Options
			}
			devs[dv.Name] = dd
		}
		d["devices"] = devs
	}
	if len(st.Mounts) > 0 {
		var mounts []any
		for _, mt := range st.Mounts {
			dm := map[string]any{"name": mt.Name, "type": mt.Type}
			if mt.Source != "" {
				dm["source"] = mt.Source
			}
			if mt.Target != "" {
				dm["target"] = mt.Target
			}
			if mt.Partition != 0 {
				dm["partition"] = mt.Partition
			}
			if len(mt.Options) > 0 {
				dm["options"] = maps.Clone(mt.Options)
			}
			mounts = append(mounts, dm)
		}
		d["mounts"] = mounts
	}
	return d
}

func (s Sources) describe() map[string]any {
	out := map[string]any{}
	if len(s.Curl) > 0 {
		items := map[string]any{}
		for sum, it := range s.Curl {
			d := map[string]any{"url": it.URL}
			if it.Insecure {
				d["insecure"] = true
			}
			items[sum] = d
		}
		out["org.osbuild.curl"] = map[string]any{"items": items}
	}
	if len(s.Inline) > 0 {
		items := map[string]any{}
		for sum, it := range s.Inline {
			items[sum] = map[string]any{"encoding": it.Encoding, "data": base64.StdEncoding.EncodeToString(it.Data)}
		}
		out["org.osbuild.inline"] = map[string]any{"items": items}
	}
	return out
}
