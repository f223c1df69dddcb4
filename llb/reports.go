package llb

import (
	"errors"
	"fmt"
	"slices"

	bkllb "github.com/moby/buildkit/client/llb"

	"github.com/osbuildkit/osbuildkit/manifest"
	"github.com/osbuildkit/osbuildkit/stages"
)

// Report is a step's findings output: stages.ReportFile in State, whose
// findings Locate places in the manifest.
type Report struct {
	Pipeline string
	Stage    *manifest.Stage
	State    bkllb.State
	Locate   stages.Locator
	// outputs are the files the step writes (stages.Plan.Outputs).
	outputs []string
	// File is the path in the build's output of the disk image whose
	// block digests the step writes beside its findings
	// (stages.SumsFile), when the output holds that file as the step
	// wrote it: the step is the last of an exported pipeline. Empty
	// otherwise.
	File string
}

// Warnings turns the findings read from the report's output into located
// warnings.
func (r Report) Warnings(m *manifest.Manifest, raw []byte) ([]Warning, error) {
	found, err := stages.ReadReport(raw)
	if err != nil {
		return nil, fmt.Errorf("reading the findings of [%s] %s: %w", r.Pipeline, r.Stage.Type, err)
	}
	var out []Warning
	for _, f := range found {
		st, path := r.Locate(f)
		w := &manifest.LocationError{Path: path, Err: errors.New(f.Message)}
		if file := m.File(); file != nil {
			w.File, w.Position = file.Name, file.Position(path)
		}
		out = append(out, Warning{Pipeline: pipelineOf(m, st, r.Pipeline), Stage: st, At: w})
	}
	return out, nil
}

// pipelineOf names the pipeline holding st, else def.
func pipelineOf(m *manifest.Manifest, st *manifest.Stage, def string) string {
	for _, pl := range m.Pipelines {
		for _, s := range pl.Stages {
			if s == st {
				return pl.Name
			}
		}
	}
	return def
}

// report gives a step whose plan asks for it an output for its findings
// (stages.ReportDir), which the build reads back (Result.Reports).
func (c *compiler) report(pl *manifest.Pipeline, st *manifest.Stage, ex *stages.Exec, run bkllb.ExecState) {
	if ex.Report == nil {
		return
	}
	out := run.AddMount(stages.ReportDir, bkllb.Scratch())
	c.result.Reports = append(c.result.Reports, Report{Pipeline: pl.Name, Stage: st, State: out, Locate: ex.Report})
}

// sumsFiles sets File of the reports whose step's file the output holds
// unchanged, at its place in the output's layout.
func (c *compiler) sumsFiles(exports []string) {
	for i := range c.result.Reports {
		r := &c.result.Reports[i]
		pl := c.m.Pipeline(r.Pipeline)
		if len(r.outputs) != 1 || pl == nil || pl.Stages[len(pl.Stages)-1] != r.Stage || !slices.Contains(exports, r.Pipeline) {
			continue
		}
		switch {
		case c.opt.Layout == ContainerDisk:
		case c.opt.Layout == Flat && len(exports) == 1:
			r.File = r.outputs[0]
		default:
			r.File = r.Pipeline + "/" + r.outputs[0]
		}
	}
}

// withReports makes out depend on the report outputs without changing its
// content: out merged with each report's diff against itself, which is
// empty (BuildKit's merge of one layer chain is that chain). A registry
// cache exported with mode=max then holds the findings beside the result,
// so a second builder reads them from the cache; without them there, it
// re-ran the disk step (and what that step needs) only to read its
// findings.
func (c *compiler) withReports(out bkllb.State) bkllb.State {
	if len(c.result.Reports) == 0 {
		return out
	}
	in := []bkllb.State{out}
	for _, r := range c.result.Reports {
		in = append(in, bkllb.Diff(r.State, r.State, bkllb.WithCustomNamef("[%s] %s (findings kept in the cache)", r.Pipeline, r.Stage.Type)))
	}
	return bkllb.Merge(in, bkllb.WithCustomName("[export] the output, with the findings in its cache"))
}
