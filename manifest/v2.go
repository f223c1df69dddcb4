package manifest

import (
	"encoding/json"
	"strings"

	"github.com/osbuildkit/osbuildkit/schemas"
)

// loadV2 validates and converts a version-2 manifest, including the dialect
// with stages keyed by "name" and a top-level "assembler".
func loadV2(p *problems, top map[string]any) *Manifest {
	p.validateAgainst("osbuild2.json", top, nil)
	m := &Manifest{Dialect: V2}
	pipelines := list(top["pipelines"])
	for i, raw := range pipelines {
		at := Path{"pipelines", i}
		pl := obj(raw)
		if pl == nil {
			continue
		}
		out := &Pipeline{
			Name:   str(pl["name"]),
			Build:  strings.TrimPrefix(str(pl["build"]), "name:"),
			Runner: str(pl["runner"]),
			Path:   at,
		}
		if n, ok := pl["source-epoch"].(json.Number); ok {
			if v, err := n.Int64(); err == nil {
				out.SourceEpoch = &v
			}
		}
		for j, rs := range list(pl["stages"]) {
			if st := loadStageV2(p, obj(rs), at.Key("stages").Index(j), j); st != nil {
				if _, named := obj(rs)["name"]; named {
					m.Dialect = Seed
				}
				out.Stages = append(out.Stages, st)
			}
		}
		m.Pipelines = append(m.Pipelines, out)
	}
	if asm := obj(top["assembler"]); asm != nil {
		m.Dialect = Seed
		if len(m.Pipelines) == 0 {
			p.addf(Path{"assembler"}, "an assembler needs a pipeline whose tree it assembles")
		} else {
			m.Pipelines = append(m.Pipelines, assemblerPipeline(p, asm, Path{"assembler"}, m.Pipelines[len(m.Pipelines)-1]))
		}
	}
	m.Sources = loadSources(p, top["sources"], Path{"sources"})
	if md := obj(top["metadata"]); md != nil {
		for _, e := range list(md["exports"]) {
			m.Exports = append(m.Exports, str(obj(e)["name"]))
			m.explicitExports = true
		}
	}
	if len(m.Exports) == 0 && len(m.Pipelines) > 0 {
		m.Exports = []string{m.Pipelines[len(m.Pipelines)-1].Name}
	}
	return m
}

func loadStageV2(p *problems, st map[string]any, at Path, index int) *Stage {
	if st == nil {
		return nil
	}
	typ, typeKey := str(st["type"]), "type"
	if name, ok := st["name"]; ok {
		if _, both := st["type"]; both {
			p.addf(at, "a stage has either 'type' or its alias 'name', not both")
			return nil
		}
		typ, typeKey = str(name), "name"
	} else if _, ok := st["type"]; !ok {
		p.addf(at, "'type' is a required property")
		return nil
	}
	typ = CanonicalStage(typ)
	checkModule(p, schemas.Stage, typ, withDefaultOptions(st), at, at.Key(typeKey))
	s := &Stage{Type: typ, Kind: KindStage, Options: optionsOf(st["options"]), Path: at, Index: index}
	ins := obj(st["inputs"])
	for _, name := range sortedKeys(ins) {
		if in := loadInput(p, name, obj(ins[name]), at.Key("inputs").Key(name)); in != nil {
			s.Inputs = append(s.Inputs, in)
		}
	}
	devs := obj(st["devices"])
	for _, name := range sortedKeys(devs) {
		d := obj(devs[name])
		dat := at.Key("devices").Key(name)
		if d == nil {
			continue
		}
		checkModule(p, schemas.Device, str(d["type"]), withDefaultOptions(d), dat, dat.Key("type"))
		s.Devices = append(s.Devices, &Device{Name: name, Type: str(d["type"]), Parent: str(d["parent"]), Options: optionsOf(d["options"]), Path: dat})
	}
	for k, rm := range list(st["mounts"]) {
		mt := obj(rm)
		mat := at.Key("mounts").Index(k)
		if mt == nil {
			continue
		}
		checkModule(p, schemas.Mount, str(mt["type"]), withDefaultOptions(mt), mat, mat.Key("type"))
		mount := &Mount{Name: str(mt["name"]), Type: str(mt["type"]), Source: str(mt["source"]), Target: str(mt["target"]), Options: optionsOf(mt["options"]), Path: mat}
		if n, ok := mt["partition"].(json.Number); ok {
			v, _ := n.Int64()
			mount.Partition = int(v)
		}
		s.Mounts = append(s.Mounts, mount)
	}
	return s
}

func loadInput(p *problems, name string, in map[string]any, at Path) *Input {
	if in == nil {
		return nil
	}
	checkModule(p, schemas.Input, str(in["type"]), in, at, at.Key("type"))
	out := &Input{Name: name, Type: str(in["type"]), Origin: str(in["origin"]), Options: optionsOf(in["options"]), Path: at}
	switch refs := in["references"].(type) {
	case []any:
		for _, r := range refs {
			switch x := r.(type) {
			case string:
				out.References = append(out.References, Reference{ID: x, Options: map[string]any{}})
			case map[string]any:
				out.References = append(out.References, Reference{ID: str(x["id"]), Options: optionsOf(x["options"])})
			}
		}
	case map[string]any:
		for _, id := range sortedKeys(refs) {
			out.References = append(out.References, Reference{ID: id, Options: optionsOf(refs[id])})
		}
	}
	sortReferences(out.References)
	return out
}

// assemblerPipeline turns a top-level (or version-1) assembler into the
// "assembler" pipeline osbuild makes of it: one assembler step whose "tree"
// input is the assembled pipeline, on that pipeline's buildroot.
func assemblerPipeline(p *problems, asm map[string]any, at Path, tree *Pipeline) *Pipeline {
	name := str(asm["name"])
	checkModule(p, schemas.Assembler, name, withDefaultOptions(asm), at, at.Key("name"))
	st := &Stage{
		Type: name, Kind: KindAssembler, Options: optionsOf(asm["options"]), Path: at,
		Inputs: []*Input{{
			Name: "tree", Type: "org.osbuild.tree", Origin: OriginPipeline,
			References: []Reference{{ID: "name:" + tree.Name, Options: map[string]any{}}},
			Options:    map[string]any{}, Path: at,
		}},
	}
	// The assembler makes the tree's image: the tree's source-epoch (which
	// only the v2 form can give) is the image's too.
	return &Pipeline{Name: "assembler", Build: tree.Build, Runner: tree.Runner, SourceEpoch: tree.SourceEpoch, Stages: []*Stage{st}, Path: at}
}

// withDefaultOptions returns the object with "options" defaulted to {} so a
// schema's required options are reported even when "options" is absent.
func withDefaultOptions(o map[string]any) map[string]any {
	if _, ok := o["options"]; ok {
		return o
	}
	c := make(map[string]any, len(o)+1)
	for k, v := range o {
		c[k] = v
	}
	c["options"] = map[string]any{}
	return c
}

// checkModule validates a module's description against its schema, or
// reports that the module is unknown.
func checkModule(p *problems, kind schemas.Kind, name string, inst any, at, nameAt Path) {
	if name == "" {
		return
	}
	if _, ok := schemas.Module(kind, name); !ok {
		p.add(nameAt, &UnknownModuleError{Kind: kindNoun(kind), Name: name, Suggestions: Suggest(name, schemas.Names(kind)), InOsbuild: schemas.InOsbuild(kind, name)})
		return
	}
	p.validateAgainst(string(kind)+"/"+name+".json", inst, at)
}

func kindNoun(k schemas.Kind) string {
	return strings.TrimSuffix(string(k), "s")
}
