package manifest

import (
	"strings"

	"github.com/osbuildkit/osbuildkit/schemas"
)

// hostRunner is the runner a version-1 pipeline without a build gets.
const hostRunner = "org.osbuild.linux"

// loadV1 validates and converts a version-1 manifest the way osbuild does:
// the main pipeline is "tree", nested build pipelines are "build",
// "build-build", …, and the assembler becomes the pipeline "assembler".
func loadV1(p *problems, top map[string]any) *Manifest {
	p.validateAgainst("osbuild1.json", top, nil)
	m := &Manifest{Dialect: V1}
	root := obj(top["pipeline"])
	tree := loadPipelineV1(p, m, root, Path{"pipeline"}, 0)
	if asm := obj(root["assembler"]); asm != nil {
		m.Pipelines = append(m.Pipelines, assemblerPipeline(p, asm, Path{"pipeline", "assembler"}, tree))
	}
	m.Sources = loadSources(p, top["sources"], Path{"sources"})
	m.Exports = []string{m.Pipelines[len(m.Pipelines)-1].Name}
	if len(tree.Stages) == 0 && len(m.Pipelines) == 1 {
		p.addf(Path{"pipeline"}, "the manifest has no stages and no assembler: there is nothing to build")
	}
	return m
}

func loadPipelineV1(p *problems, m *Manifest, desc map[string]any, at Path, depth int) *Pipeline {
	out := &Pipeline{Name: "tree", Runner: hostRunner, Path: at}
	if depth > 0 {
		out.Name = strings.Repeat("build-", depth-1) + "build"
	}
	if b := obj(desc["build"]); b != nil {
		if bp := obj(b["pipeline"]); bp != nil {
			out.Build = loadPipelineV1(p, m, bp, at.Key("build").Key("pipeline"), depth+1).Name
		}
		out.Runner = str(b["runner"])
	}
	for j, rs := range list(desc["stages"]) {
		st := obj(rs)
		sat := at.Key("stages").Index(j)
		if st == nil {
			continue
		}
		typ := CanonicalStage(str(st["name"]))
		checkModule(p, schemas.Stage, typ, withDefaultOptions(st), sat, sat.Key("name"))
		out.Stages = append(out.Stages, &Stage{Type: typ, Kind: KindStage, Options: optionsOf(st["options"]), Path: sat, Index: j})
	}
	m.Pipelines = append(m.Pipelines, out)
	return out
}
