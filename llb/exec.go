package llb

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	bkllb "github.com/moby/buildkit/client/llb"

	"github.com/osbuildkit/osbuildkit/manifest"
	"github.com/osbuildkit/osbuildkit/stages"
)

// The helper contract's paths, as this package uses them (stages.HelperDir
// and friends define them).
const (
	HelperDir = stages.HelperDir
	TreeDir   = stages.TreeDir
	InputsDir = stages.InputsDir
)

// stepVariant is how one exec step of a stage differs from the stage's
// plain step: the two steps of an incremental disk assembly.
type stepVariant struct {
	// inputs replace the states of the named inputs.
	inputs map[string]bkllb.State
	// base makes the step write the base of the assembly (Spec.Base).
	base bool
	// baseDisk and baseTree are that base and the tree it was made of.
	baseDisk, baseTree *bkllb.State
	// bare is execStep's: the step runs in a bare root (Exec.BareRoot).
	bare bool
}

func (c *compiler) exec(pl *manifest.Pipeline, st *manifest.Stage, ex *stages.Exec, tree bkllb.State) (bkllb.State, error) {
	baseTree, ok := c.incrementalBase(st, ex)
	if !ok || c.locking(st) {
		return c.execStep(pl, st, ex, tree, stepVariant{})
	}
	first := *ex
	first.Report = nil
	baseDisk, err := c.execStep(pl, st, &first, tree, stepVariant{inputs: map[string]bkllb.State{ex.Incremental: baseTree}, base: true})
	if err != nil {
		return tree, err
	}
	return c.execStep(pl, st, ex, tree, stepVariant{baseDisk: &baseDisk, baseTree: &baseTree})
}

// incrementalBase is the tree an incremental disk assembly starts from:
// the tree of the pipeline ex.Incremental names, as it was after its last
// Bulk stage, when stages changed it after that.
func (c *compiler) incrementalBase(st *manifest.Stage, ex *stages.Exec) (bkllb.State, bool) {
	if ex.Incremental == "" {
		return bkllb.State{}, false
	}
	for _, in := range st.Inputs {
		if in.Name != ex.Incremental || in.Origin != manifest.OriginPipeline || len(in.References) != 1 {
			continue
		}
		name, _ := in.References[0].PipelineName()
		base, ok := c.bases[name]
		return base, ok
	}
	return bkllb.State{}, false
}

// locking says whether st is the stage resolved for osbuildkit lock.
func (c *compiler) locking(st *manifest.Stage) bool {
	return c.opt.Lock != "" && c.opt.Lock == st.Path.String()
}

func (c *compiler) execStep(pl *manifest.Pipeline, st *manifest.Stage, ex *stages.Exec, tree bkllb.State, v stepVariant) (bkllb.State, error) {
	lock := c.locking(st)
	if lock {
		resolve := *ex
		resolve.Network, resolve.Scratch = true, true
		ex = &resolve
	}
	opts := []bkllb.RunOption{
		bkllb.Args(stages.HelperArgs(st.Type)),
		bkllb.Dir("/"),
		bkllb.AddEnv("PATH", stages.ExecPath),
		bkllb.AddEnv("LANG", "C.UTF-8"),
		bkllb.AddEnv("DEBIAN_FRONTEND", "noninteractive"),
		bkllb.AddMount(HelperDir, c.opt.Helper.State, bkllb.SourcePath(c.opt.Helper.Dir), bkllb.Readonly),
	}
	for _, e := range ex.Env {
		k, v, _ := strings.Cut(e, "=")
		opts = append(opts, bkllb.AddEnv(k, v))
	}
	if pl.SourceEpoch != nil {
		opts = append(opts, bkllb.AddEnv("SOURCE_DATE_EPOCH", strconv.FormatInt(*pl.SourceEpoch, 10)))
	}
	// A bare root only where the step's tree starts empty: a tree with
	// content is an overlayfs mount whatever the root is.
	v.bare = ex.BareRoot && ex.Root == stages.RootBuildroot && (v.base || tree.Output() == nil)
	specOpts, err := c.spec(pl, st, ex, lock, v)
	if err != nil {
		return tree, err
	}
	opts = append(opts, specOpts...)
	opts = append(opts, c.sandbox(st, ex)...)
	for _, co := range c.constraints(pl, st) {
		opts = append(opts, co)
	}
	switch {
	case v.base:
		// The base is this builder's shortcut, not a result: a registry
		// cache does without its hundreds of MB.
		opts = append(opts, bkllb.WithCustomNamef("[%s] %s (base filesystems)", pl.Name, st.Type), bkllb.WithoutExportCache())
		tree = bkllb.Scratch()
	case v.baseDisk != nil:
		opts = append(opts,
			bkllb.AddMount(stages.BaseDiskDir, *v.baseDisk, bkllb.Readonly, noContentHash),
			bkllb.AddMount(stages.BaseTreeDir, *v.baseTree, bkllb.Readonly, noContentHash))
	}
	if lock {
		opts = append(opts, resolveKeys(pl, st, ex)...)
	}
	var run bkllb.ExecState
	out := tree
	if ex.Root == stages.RootTree {
		run = tree.Run(opts...)
		out = run.Root()
	} else {
		root, err := c.buildroot(pl, ex)
		if err != nil {
			return tree, err
		}
		if v.bare {
			opts = append(opts, bkllb.AddMount(stages.BareRootDir, root, bkllb.Readonly, noContentHash))
			root = bkllb.Scratch()
		}
		run = root.Run(opts...)
		out = run.AddMount(TreeDir, tree, noContentHash)
	}
	c.report(pl, st, ex, run)
	if lock {
		resolved := run.AddMount(stages.LockDir, bkllb.Scratch())
		c.result.Lock = &resolved
	}
	return out, nil
}

// resolveKeys name a resolve step and key its cache: by the content of
// the stage's ResolveKeys (each mounted below stages.LockDir+"-keys"),
// never from the cache without them.
func resolveKeys(pl *manifest.Pipeline, st *manifest.Stage, ex *stages.Exec) []bkllb.RunOption {
	opts := []bkllb.RunOption{bkllb.WithCustomNamef("[%s] %s (lock)", pl.Name, st.Type)}
	if len(ex.ResolveKeys) == 0 {
		return append(opts, bkllb.IgnoreCache)
	}
	for i, u := range ex.ResolveKeys {
		key := bkllb.HTTP(u, bkllb.Filename("index"), bkllb.WithCustomNamef("[%s] %s (lock) %s", pl.Name, st.Type, u))
		opts = append(opts, bkllb.AddMount(fmt.Sprintf("%s-keys/%d", stages.LockDir, i), key, bkllb.Readonly))
	}
	return opts
}

// spec hands the helper the stage (stages.Spec): its options, inputs,
// devices and mounts, in the environment or, when large, in a file.
func (c *compiler) spec(pl *manifest.Pipeline, st *manifest.Stage, ex *stages.Exec, lock bool, v stepVariant) ([]bkllb.RunOption, error) {
	spec := stages.Spec{Type: st.Type, Kind: string(st.Kind), Tree: TreeDir, SourceEpoch: pl.SourceEpoch, Base: v.base}
	if v.baseDisk != nil {
		spec.BaseDisk, spec.BaseTree = stages.BaseDiskDir+"/"+stages.BaseFile, stages.BaseTreeDir
	}
	if v.bare {
		spec.BareRoot = stages.BareRootDir
	}
	if lock {
		spec.Lock = stages.LockDir
	}
	if ex.Root == stages.RootTree {
		spec.Tree = "/"
	}
	options := st.Options
	if ex.Options != nil {
		options = ex.Options
	}
	raw, err := json.Marshal(options)
	if err != nil {
		return nil, err
	}
	spec.Options = raw
	opts, err := c.execInputs(st, &spec, v.inputs)
	if err != nil {
		return nil, err
	}
	specEnv, specFile, err := stages.EncodeSpec(spec)
	if err != nil {
		return nil, err
	}
	opts = append(opts, bkllb.AddEnv(stages.SpecEnv, specEnv))
	if specFile != nil {
		file := bkllb.Scratch().File(bkllb.Mkfile("/"+stages.SpecFile, 0o644, specFile), bkllb.WithCustomNamef("[%s] %s spec", pl.Name, st.Type))
		opts = append(opts, bkllb.AddMount(stages.SpecDir, file, bkllb.Readonly))
	}
	return opts, nil
}

// sandbox is what the step may reach: the network, privileges, the
// buildroot's certificates and cache mounts, as the stage's plan asks.
func (c *compiler) sandbox(st *manifest.Stage, ex *stages.Exec) []bkllb.RunOption {
	var opts []bkllb.RunOption
	if ex.Network {
		if c.opt.Proxy != nil {
			opts = append(opts, bkllb.WithProxy(*c.opt.Proxy))
		}
	} else {
		opts = append(opts, bkllb.Network(bkllb.NetModeNone))
	}
	if ex.Insecure {
		opts = append(opts, bkllb.Security(bkllb.SecurityModeInsecure))
		c.result.Insecure = append(c.result.Insecure, st)
	}
	// The buildroot is mounted once per step: BuildKit releases a result
	// mounted twice twice when the step fails ("releasing already released
	// reference"), and that error hides the stage's own.
	if ex.NativeShell {
		opts = append(opts, bkllb.AddMount(stages.BuildrootDir, c.bootstrapBuildroot(), bkllb.Readonly, noContentHash))
	}
	if ex.Scratch {
		opts = append(opts, bkllb.AddMount(stages.ScratchDir, bkllb.Scratch(), bkllb.Tmpfs()))
	}
	for _, cache := range ex.Caches {
		mode := bkllb.CacheMountShared
		if cache.Locked {
			mode = bkllb.CacheMountLocked
		}
		opts = append(opts, bkllb.AddMount(cache.Target, bkllb.Scratch(), bkllb.AsPersistentCacheDir("osbuildkit-"+cache.ID, mode)))
	}
	return opts
}

// noContentHash keeps BuildKit from hashing the contents of a pipeline's
// tree to key an exec's cache (it does so for every mount off "/" that is
// whole or read-only): a Debian tree takes about 1.5 s to hash on our
// machines, for each exec stage on each new tree, and a rebuilt tree has
// new timestamps, so the hash never matched anything its LLB key did not.
// The cache key stays the LLB digest chain (README, Caching).
var noContentHash = bkllb.ContentCache(bkllb.MountContentCacheOff)

// execInputs mounts a stage's inputs read-only where osbuild puts them and
// describes them (and devices and mounts) in the spec; replace gives some
// of them other states.
func (c *compiler) execInputs(st *manifest.Stage, spec *stages.Spec, replace map[string]bkllb.State) ([]bkllb.RunOption, error) {
	var opts []bkllb.RunOption
	for _, in := range st.Inputs {
		state, err := c.input(st, in)
		if err != nil {
			return nil, err
		}
		if r, ok := replace[in.Name]; ok {
			state = r
		}
		path := InputsDir + "/" + in.Name
		mopts := []bkllb.MountOption{bkllb.Readonly}
		if in.Origin == manifest.OriginPipeline {
			mopts = append(mopts, noContentHash)
		}
		opts = append(opts, bkllb.AddMount(path, state, mopts...))
		refs := map[string]json.RawMessage{}
		for _, r := range in.References {
			b, err := json.Marshal(r.Options)
			if err != nil {
				return nil, err
			}
			refs[r.ID] = b
		}
		if spec.Inputs == nil {
			spec.Inputs = map[string]stages.Input{}
		}
		spec.Inputs[in.Name] = stages.Input{Type: in.Type, Origin: in.Origin, Path: path, Refs: refs}
	}
	for _, d := range st.Devices {
		b, err := json.Marshal(d.Options)
		if err != nil {
			return nil, err
		}
		if spec.Devices == nil {
			spec.Devices = map[string]stages.Device{}
		}
		spec.Devices[d.Name] = stages.Device{Type: d.Type, Parent: d.Parent, Options: b}
	}
	for _, m := range st.Mounts {
		b, err := json.Marshal(m.Options)
		if err != nil {
			return nil, err
		}
		spec.Mounts = append(spec.Mounts, stages.Mount{Name: m.Name, Type: m.Type, Source: m.Source, Target: m.Target, Partition: m.Partition, Options: b})
	}
	return opts, nil
}

// buildroot is where a pipeline's exec stages run: its build pipeline's
// tree (which, as in osbuild, must have the tools), or the host buildroot
// with the tools the stage asks for (the bootstrap buildroot for a
// bootstrap).
func (c *compiler) buildroot(pl *manifest.Pipeline, ex *stages.Exec) (bkllb.State, error) {
	if pl.Build != "" {
		c.steps.notePipeline(pl.Build)
		root, ok := c.trees[pl.Build]
		if !ok {
			return bkllb.Scratch(), fmt.Errorf("internal error: build pipeline %q used before it was compiled", pl.Build)
		}
		return root, nil
	}
	if ex.Bootstrap && len(ex.Tools) == 0 {
		return c.bootstrapBuildroot(), nil
	}
	return c.toolsBuildroot(ex.Tools), nil
}
