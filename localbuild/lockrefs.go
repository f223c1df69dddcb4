package localbuild

import (
	"strings"

	"github.com/osbuildkit/osbuildkit/manifest"
	"github.com/osbuildkit/osbuildkit/stages"
)

// prune removes the dropped sources nothing references any more.
func (d *lockDoc) prune() {
	sources, _ := d.root.get("sources").(*object)
	if sources == nil || len(d.dropped) == 0 {
		return
	}
	curl, _ := sources.get("org.osbuild.curl").(*object)
	if curl == nil {
		return
	}
	items, _ := curl.get("items").(*object)
	if items == nil {
		return
	}
	used := map[string]bool{}
	collectReferences(d.root, used)
	for id := range d.dropped {
		if !used[id] {
			items.del(id)
		}
	}
}

// collectReferences finds every input reference below v.
func collectReferences(v any, used map[string]bool) {
	switch v := v.(type) {
	case *object:
		if refs, ok := v.vals["references"]; ok {
			for _, id := range referenceIDs(refs) {
				used[id] = true
			}
		}
		for _, k := range v.keys {
			collectReferences(v.vals[k], used)
		}
	case []any:
		for _, e := range v {
			collectReferences(e, used)
		}
	}
}

// referenceIDs are the IDs of an input's references in any of osbuild's
// three forms: a list of IDs, a list of {"id"}, or a map by ID.
func referenceIDs(refs any) []string {
	var ids []string
	switch refs := refs.(type) {
	case []any:
		for _, r := range refs {
			switch r := r.(type) {
			case string:
				ids = append(ids, r)
			case *object:
				if id, ok := r.get("id").(string); ok {
					ids = append(ids, id)
				}
			}
		}
	case *object:
		ids = append(ids, refs.keys...)
	}
	return ids
}

// lockedPackages are the packages the stage's packages input records.
func (d *lockDoc) lockedPackages(path manifest.Path) []stages.LockedPackage {
	st, err := d.stage(path)
	if err != nil {
		return nil
	}
	inputs, _ := st.get("inputs").(*object)
	if inputs == nil {
		return nil
	}
	in, _ := inputs.get("packages").(*object)
	if in == nil {
		return nil
	}
	refs, _ := in.get("references").([]any)
	var pkgs []stages.LockedPackage
	for _, r := range refs {
		ref, _ := r.(*object)
		if ref == nil {
			continue
		}
		id, _ := ref.get("id").(string)
		meta := map[string]string{}
		if opts, ok := ref.get("options").(*object); ok {
			if m, ok := opts.get("metadata").(*object); ok {
				for _, k := range m.keys {
					meta[k], _ = m.get(k).(string)
				}
			}
		}
		pkgs = append(pkgs, stages.LockedPackage{Package: meta[stages.MetaPackage], Version: meta[stages.MetaVersion],
			Architecture: meta[stages.MetaArch], SHA256: strings.TrimPrefix(id, "sha256:")})
	}
	return pkgs
}
