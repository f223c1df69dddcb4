package llb

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	bkllb "github.com/moby/buildkit/client/llb"

	"github.com/osbuildkit/osbuildkit/manifest"
	"github.com/osbuildkit/osbuildkit/stages"
)

// Layout is how exported pipelines are arranged in the output.
type Layout int

const (
	// Flat puts a single export's tree at the output's root; several
	// exports get a directory each.
	Flat Layout = iota
	// ByName always gives each export a directory named after its
	// pipeline, like osbuild's --output-directory.
	ByName
	// ContainerDisk puts the export's files in /disk, owned by 107:107, a
	// KubeVirt containerDisk (export it with --output type=image).
	ContainerDisk
)

// Options configure a compilation.
type Options struct {
	// Helper provides the osbuildkit binary that runs exec stages.
	Helper Helper
	// Buildroot replaces the host buildroot (debian:bookworm plus the
	// tools our stages use) for pipelines without a build pipeline.
	Buildroot *bkllb.State
	// BootstrapBuildroot replaces the buildroot that bootstraps run in
	// (debian:bookworm plus BootstrapTools); nil: Buildroot when that is
	// set, else built.
	BootstrapBuildroot *bkllb.State
	// Exports are the pipelines to build; empty means the manifest's.
	Exports []string
	Layout  Layout
	// NoCache forces stages to re-run: a pipeline name, a stage type, or
	// a stage ID (or a prefix of at least 8 characters).
	NoCache []string
	// SourceMap locates ops in the manifest for BuildKit's error display.
	SourceMap *bkllb.SourceMap
	// Proxy is passed to stages with network access, outside the cache key.
	Proxy *bkllb.ProxyEnv
	// Break selects the stage before which the build stops for a shell
	// (Result.Break), as NoCache selects stages.
	Break string
	// Lock, a stage's manifest path, resolves that package stage instead
	// of running it (Result.Lock): with the network on, never cached.
	Lock string
	// SBOM asks for each export's SBOM (Result.SBOMs), and says where it
	// goes.
	SBOM SBOM
}

// Helper says where the helper binary is: directory Dir of State holds an
// executable named "osbuildkit".
type Helper struct {
	State bkllb.State
	Dir   string
}

// Op description keys (metadata, not part of cache keys) that let errors
// point back at the manifest.
const (
	StageKey     = "osbuildkit.stage"      // a stage's manifest path
	SourceKey    = "osbuildkit.source"     // a downloaded source's URL
	SourceSumKey = "osbuildkit.source.sum" // and its expected checksum
)

// Result is a compiled manifest.
type Result struct {
	Output bkllb.State
	// Trees holds each compiled pipeline's final state.
	Trees map[string]bkllb.State
	// Insecure lists the stages that need security.insecure.
	Insecure []*manifest.Stage
	// Steps are the stages (and the host buildroot) in an order that
	// puts each after what it waits for.
	Steps []Step
	// Downloads holds the curl sources the build needs, by checksum.
	Downloads map[string]Download
	// Warnings are the findings of the stages' rules (stages.Rules),
	// pipeline by pipeline.
	Warnings []Warning
	// Break is where --break stops, when Options.Break is set.
	Break *Break
	// Reports are the steps that report findings of their own (the boot
	// checks of disk assembly); the build reads each once it is solved.
	Reports []Report
	// Lock holds stages.LockFile, the packages the stage Options.Lock
	// selects would install; nil when it selects none.
	Lock *bkllb.State
	// SBOMs are the exports' SBOM steps when Options.SBOM asks for them,
	// by pipeline: each a directory holding one SPDX document.
	SBOMs map[string]bkllb.State
}

// Warning is a problem a stage works around, located in the manifest.
type Warning struct {
	Pipeline string
	Stage    *manifest.Stage
	// At is the option at fault and what was done about it.
	At *manifest.LocationError
}

func (w Warning) String() string {
	return fmt.Sprintf("[%s] %s %d %s: %v", w.Pipeline, w.Stage.Kind, w.Stage.Index, w.Stage.Type, w.At)
}

// Download is one curl source: its URL and the state that fetches it.
type Download struct {
	URL   string
	State bkllb.State
	// Package is the locked Debian package the file is, when the
	// manifest's reference says so (osbuildkit lock's metadata).
	Package string
}

type compiler struct {
	ctx   context.Context
	m     *manifest.Manifest
	opt   Options
	trees map[string]bkllb.State
	// bases are pipelines' trees after their last Bulk stage, for those
	// that other stages changed after it (stages.Exec.Incremental).
	bases map[string]bkllb.State
	// forced are the stages that re-run (Options.NoCache and what is
	// built on them); forcedTrees the pipelines with such a stage.
	forced      map[*manifest.Stage]bool
	forcedTrees map[string]bool
	host        *bkllb.State
	boot        *bkllb.State
	tools       map[string]toolsRoot
	steps       *steps
	result      *Result
}

// Compile translates the pipelines the exports need.
func Compile(ctx context.Context, m *manifest.Manifest, opt Options) (*Result, error) {
	exports := opt.Exports
	if len(exports) == 0 {
		exports = m.Exports
	}
	if len(exports) == 0 {
		return nil, errors.New("the manifest has no pipelines: there is nothing to build")
	}
	for _, e := range exports {
		if m.Pipeline(e) == nil {
			return nil, fmt.Errorf("cannot export %q: the manifest has no such pipeline (pipelines: %s)", e, strings.Join(m.Names(), ", "))
		}
	}
	c := &compiler{ctx: ctx, m: m, opt: opt, trees: map[string]bkllb.State{}, bases: map[string]bkllb.State{},
		forced: map[*manifest.Stage]bool{}, forcedTrees: map[string]bool{}, steps: newSteps(), result: &Result{}}
	for _, pl := range m.Order(exports...) {
		if err := c.pipeline(pl); err != nil {
			return nil, c.locate(err)
		}
	}
	if opt.Break != "" && c.result.Break == nil {
		return nil, noBreak(m, opt.Break, exports)
	}
	c.result.Trees = c.trees
	c.result.Steps = c.steps.list
	if opt.SBOM != NoSBOM {
		c.result.SBOMs = map[string]bkllb.State{}
		for _, e := range exports {
			st, err := c.sbomFor(e, len(exports) > 1)
			if err != nil {
				return nil, err
			}
			c.result.SBOMs[e] = st
		}
	}
	c.result.Output = c.withReports(c.output(exports))
	c.sumsFiles(exports)
	return c.result, nil
}

// locate adds the manifest's file name and line to a located error.
func (c *compiler) locate(err error) error {
	var le *manifest.LocationError
	if errors.As(err, &le) && le.Line == 0 {
		if f := c.m.File(); f != nil {
			le.File = f.Name
			le.Position = f.Position(le.Path)
		}
	}
	return err
}

func (c *compiler) pipeline(pl *manifest.Pipeline) error {
	tree := bkllb.Scratch()
	written := map[string]*manifest.Stage{}
	last := -1
	var base *bkllb.State // after the last Bulk stage
	changed := false      // by a stage after it
	forced := c.forcedTrees[pl.Build]
	for _, st := range pl.Stages {
		forced = forced || c.selected(pl, st) || c.takesForcedTree(st)
		c.forced[st] = forced
		impl, err := stages.For(st)
		if err != nil {
			return err
		}
		plan, err := impl.Plan(&stages.Context{Stage: st, Pipeline: pl, Manifest: c.m})
		if err != nil {
			return err
		}
		for _, out := range plan.Outputs {
			if prev, dup := written[out]; dup {
				return &manifest.LocationError{Path: st.OptionsPath().Key("filename"),
					Err: fmt.Errorf("%q is also written by %s (%s): give each output its own filename", out, prev.Type, prev.Path)}
			}
			written[out] = st
		}
		if tree, err = c.stage(pl, st, plan, tree); err != nil {
			return err
		}
		if n := len(c.result.Reports); n > 0 && c.result.Reports[n-1].Stage == st {
			c.result.Reports[n-1].outputs = plan.Outputs
		}
		if plan.Exec != nil || len(plan.Files) > 0 {
			last = c.steps.add("["+pl.Name+"] "+st.Type, tree, c.steps.take(last))
			changed = true
		}
		if plan.Exec != nil && plan.Exec.Bulk {
			b := tree
			base, changed = &b, false
		}
	}
	if base != nil && changed {
		c.bases[pl.Name] = *base
	}
	if last >= 0 {
		c.steps.last[pl.Name] = last
	}
	c.forcedTrees[pl.Name] = forced
	for _, f := range stages.Check(c.m, pl) {
		c.warn(pl, f.Stage, f.At)
	}
	c.trees[pl.Name] = tree
	return nil
}

func (c *compiler) warn(pl *manifest.Pipeline, st *manifest.Stage, w *manifest.LocationError) {
	c.locate(w)
	c.result.Warnings = append(c.result.Warnings, Warning{Pipeline: pl.Name, Stage: st, At: w})
}

func (c *compiler) stage(pl *manifest.Pipeline, st *manifest.Stage, plan *stages.Plan, tree bkllb.State) (bkllb.State, error) {
	var err error
	brk := c.breakAt(pl, st)
	if brk && plan.Exec == nil {
		c.result.Break = &Break{Pipeline: pl.Name, Stage: st, State: c.fileStageShell(pl, st, tree)}
	}
	if plan.Exec != nil {
		if tree, err = c.exec(pl, st, plan.Exec, tree); err != nil {
			return tree, err
		}
		if brk {
			c.result.Break = &Break{Pipeline: pl.Name, Stage: st, State: tree, Exec: true}
		}
	}
	if len(plan.Files) > 0 {
		return c.files(pl, st, plan.Files, tree)
	}
	return tree, nil
}

// constraints names an op after its stage and points it at the manifest.
func (c *compiler) constraints(pl *manifest.Pipeline, st *manifest.Stage) []bkllb.ConstraintsOpt {
	opts := []bkllb.ConstraintsOpt{
		bkllb.WithCustomNamef("[%s] %s", pl.Name, st.Type),
		bkllb.WithDescription(map[string]string{StageKey: st.Path.String()}),
	}
	if c.opt.SourceMap != nil && c.m.File() != nil {
		pos := c.m.File().Position(st.Path)
		opts = append(opts, c.opt.SourceMap.Location(lineRange(pos.Line)))
	}
	if c.forced[st] {
		opts = append(opts, bkllb.IgnoreCache)
	}
	return opts
}

// selected says whether Options.NoCache names st.
func (c *compiler) selected(pl *manifest.Pipeline, st *manifest.Stage) bool {
	for _, f := range c.opt.NoCache {
		if st.Selects(pl.Name, f) {
			return true
		}
	}
	return false
}

// takesForcedTree says whether an input of st is a pipeline with a stage
// that re-runs. Keys follow the LLB chain, not the content, so a step
// after one that re-ran would otherwise come from the cache, built on
// the tree before it (the image of an apt stage forced for its updates
// would have none of them).
func (c *compiler) takesForcedTree(st *manifest.Stage) bool {
	for _, in := range st.Inputs {
		if in.Origin != manifest.OriginPipeline {
			continue
		}
		for _, r := range in.References {
			if name, ok := r.PipelineName(); ok && c.forcedTrees[name] {
				return true
			}
		}
	}
	return false
}

func (c *compiler) output(exports []string) bkllb.State {
	beside := c.opt.SBOM == SBOMBeside
	if len(exports) == 1 && c.opt.Layout == Flat {
		if beside {
			return bkllb.Merge([]bkllb.State{c.trees[exports[0]], c.result.SBOMs[exports[0]]}, bkllb.WithCustomName("[export] "+exports[0]+" and its SBOM"))
		}
		return c.trees[exports[0]]
	}
	all := &bkllb.CopyInfo{CopyDirContentsOnly: true, CreateDestPath: true, AllowEmptyWildcard: true}
	if c.opt.Layout == ContainerDisk {
		var fa *bkllb.FileAction
		for _, e := range exports {
			fa = fa.Copy(c.trees[e], "/", "/disk/", all, bkllb.WithUIDGID(107, 107))
			if beside {
				fa = fa.Copy(c.result.SBOMs[e], "/", "/disk/", all, bkllb.WithUIDGID(107, 107))
			}
		}
		return bkllb.Scratch().File(fa, bkllb.WithCustomName("[export] containerDisk /disk"))
	}
	sorted := append([]string(nil), exports...)
	sort.Strings(sorted)
	var fa *bkllb.FileAction
	for _, e := range sorted {
		fa = fa.Copy(c.trees[e], "/", "/"+e+"/", all)
		if beside {
			fa = fa.Copy(c.result.SBOMs[e], "/", "/"+e+"/", all)
		}
	}
	return bkllb.Scratch().File(fa, bkllb.WithCustomName("[export] "+strings.Join(sorted, ", ")))
}
