package llb

import (
	"encoding/json"
	"fmt"
	"slices"

	bkllb "github.com/moby/buildkit/client/llb"

	"github.com/osbuildkit/osbuildkit/manifest"
	"github.com/osbuildkit/osbuildkit/sbom"
	"github.com/osbuildkit/osbuildkit/stages"
)

// SBOM says whether exports get an SBOM, and where it goes.
type SBOM int

const (
	NoSBOM SBOM = iota
	// SBOMBeside puts each export's SBOM in the output, beside its files
	// (osbuildkit build --sbom).
	SBOMBeside
	// SBOMAttest only compiles them (Result.SBOMs): the frontend attaches
	// them to the result as BuildKit attestations (--sbom=true).
	SBOMAttest
)

// sbomFor is the step that writes the SBOM of export's finished tree: a
// directory holding one file (sbom.Suffix). It runs the helper alone on an
// empty root, with no network and no buildroot, so it is cached with the
// trees it reads.
func (c *compiler) sbomFor(export string, several bool) (bkllb.State, error) {
	trees := contentPipelines(c.m, export)
	spec := sbom.Spec{Name: export, Trees: trees, Sources: c.sourcesOf(trees)}
	if several && c.opt.SBOM == SBOMAttest {
		spec.File = export + sbom.Suffix // BuildKit names attestations by file
	}
	if pl := c.m.Pipeline(export); pl.SourceEpoch != nil {
		spec.Created = *pl.SourceEpoch
	}
	data, err := json.Marshal(spec)
	if err != nil {
		return bkllb.Scratch(), err
	}
	specState := bkllb.Scratch().File(bkllb.Mkfile(sbom.StepSpecFile, 0o644, data), bkllb.WithCustomNamef("[%s] sbom spec", export))
	opts := []bkllb.RunOption{
		bkllb.Args([]string{stages.HelperPath, "sbom", "--step"}),
		bkllb.Dir("/"),
		bkllb.AddMount(HelperDir, c.opt.Helper.State, bkllb.SourcePath(c.opt.Helper.Dir), bkllb.Readonly),
		bkllb.Network(bkllb.NetModeNone),
		bkllb.AddMount(sbom.StepSpecDir, specState, bkllb.Readonly),
		bkllb.WithCustomNamef("[%s] sbom", export),
	}
	for i, name := range trees {
		opts = append(opts, bkllb.AddMount(fmt.Sprintf("%s/%d", sbom.StepTreeDir, i), c.trees[name], bkllb.Readonly, noContentHash))
	}
	run := bkllb.Scratch().Run(opts...)
	return run.AddMount(sbom.StepOutDir, bkllb.Scratch()), nil
}

// contentPipelines are the pipelines whose trees make up export's: export
// first, then those its stages take trees from, breadth first (a build
// pipeline, which only runs tools, is not content).
func contentPipelines(m *manifest.Manifest, export string) []string {
	out := []string{export}
	for i := 0; i < len(out); i++ {
		pl := m.Pipeline(out[i])
		for _, name := range m.Deps(pl) {
			if name != pl.Build && m.Pipeline(name) != nil && !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
	}
	return out
}

// sourcesOf are the curl and inline sources the stages of pipelines take
// as inputs, in the order they first appear.
func (c *compiler) sourcesOf(pipelines []string) []sbom.Source {
	var out []sbom.Source
	seen := map[string]bool{}
	for _, name := range pipelines {
		for _, st := range c.m.Pipeline(name).Stages {
			for _, in := range st.Inputs {
				if in.Origin == manifest.OriginPipeline {
					continue
				}
				for _, r := range in.References {
					if seen[r.ID] {
						continue
					}
					seen[r.ID] = true
					s := sbom.Source{Checksum: r.ID, Package: lockedPackage(r)}
					if item, ok := c.m.Sources.Curl[r.ID]; ok {
						s.URL = item.URL
					}
					out = append(out, s)
				}
			}
		}
	}
	return out
}
