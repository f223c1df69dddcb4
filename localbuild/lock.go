package localbuild

import (
	"context"
	"errors"
	"fmt"

	bkclient "github.com/moby/buildkit/client"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/tonistiigi/fsutil"

	"github.com/osbuildkit/osbuildkit/frontend"
	"github.com/osbuildkit/osbuildkit/manifest"
	"github.com/osbuildkit/osbuildkit/stages"
)

// LockedStage is what a lock pinned for one package stage.
type LockedStage struct {
	Pipeline string
	Stage    *manifest.Stage
	// Before are the packages the manifest had locked before, if any.
	Before, After []stages.LockedPackage
}

// Lock resolves every package stage (debootstrap, apt) of the manifest
// in data that the exports build, in build order, each against the tree
// the stages before it leave with what they were just locked to, and
// returns the manifest with each stage's packages pinned as a packages
// input of curl sources, the way osbuild pins RPMs.
func Lock(ctx context.Context, name string, data []byte, opt Options) ([]byte, []LockedStage, error) {
	m, err := manifest.Load(name, data)
	if err != nil {
		return nil, nil, err
	}
	if m.Dialect == manifest.V1 {
		return nil, nil, &manifest.LocationError{Path: manifest.Path{"version"}, Err: fmt.Errorf("osbuildkit lock writes osbuild's version 2 manifests; convert this version 1 manifest first (osbuildkit inspect prints it as version 2)")}
	}
	doc, err := parseLockDoc(data)
	if err != nil {
		return nil, nil, err
	}
	targets := lockTargets(m, opt.Frontend.Exports)
	if len(targets) == 0 {
		return nil, nil, fmt.Errorf("%s has no org.osbuild.debootstrap or org.osbuild.apt stage to lock", name)
	}
	for i := range targets {
		targets[i].Before = doc.lockedPackages(targets[i].Stage.Path)
	}
	if opt.Addr == "" {
		opt.Addr = DefaultAddr()
	}
	c, err := bkclient.New(ctx, opt.Addr)
	if err != nil {
		return nil, nil, fmt.Errorf("connecting to BuildKit at %s: %w", opt.Addr, err)
	}
	defer c.Close()
	helperFS, cleanup, err := localHelper()
	if err != nil {
		return nil, nil, err
	}
	defer cleanup()
	l := &locker{name: name, doc: doc, opt: opt, targets: targets, file: m.File()}
	solveOpt := bkclient.SolveOpt{
		LocalMounts:   map[string]fsutil.FS{helperLocalName: helperFS},
		FrontendAttrs: map[string]string{buildNameAttr: "osbuildkit lock " + name},
		CacheImports:  opt.CacheFrom,
	}
	built, err := solve(ctx, c, solveOpt, l.buildFunc, &execSet{}, opt.Progress, nil)
	if err != nil {
		err = lostDaemon(opt.Addr, err, built.connected)
		if l.failure != nil {
			err = &stageFailed{error: err, stage: l.failure}
		}
		return nil, nil, err
	}
	out, err := doc.Bytes()
	return out, l.targets, err
}

type locker struct {
	name    string
	doc     *lockDoc
	opt     Options
	targets []LockedStage
	// file is the manifest as the user wrote it, where errors point.
	file *manifest.File
	// failure is the stage failure a resolve returned, when one did.
	failure *frontend.StageFailure
}

// buildFunc locks the stages one after the other: each resolve builds the
// tree before its stage from the stages locked so far.
func (l *locker) buildFunc(ctx context.Context, gc gateway.Client) (*gateway.Result, error) {
	for i := range l.targets {
		t := &l.targets[i]
		if err := l.doc.unlock(t.Stage.Path); err != nil {
			return nil, err
		}
		data, err := l.doc.Bytes()
		if err != nil {
			return nil, err
		}
		m, err := manifest.Load(l.name, data)
		if err != nil {
			return nil, fmt.Errorf("the manifest as locked so far does not load: %w", err)
		}
		m.LocatedIn(l.file)
		st := stageAt(m, t.Stage.Path)
		if st == nil {
			return nil, fmt.Errorf("internal error: the locked manifest has no stage at %s", t.Stage.Path)
		}
		cfg := l.opt.Frontend
		cfg.Exports = []string{t.Pipeline}
		t.After, err = frontend.ResolveStage(ctx, gc, frontend.Input{Manifest: m, Helper: helperState(), Config: cfg}, st)
		if sf := (*frontend.StageFailure)(nil); errors.As(err, &sf) {
			l.failure = sf
		}
		if err != nil {
			return nil, err
		}
		if err := l.doc.lock(t.Stage.Path, t.After); err != nil {
			return nil, err
		}
	}
	return gateway.NewResult(), nil
}

// lockTargets are the package stages the exports build, in build order.
func lockTargets(m *manifest.Manifest, exports []string) []LockedStage {
	if len(exports) == 0 {
		exports = m.Exports
	}
	var targets []LockedStage
	for _, pl := range m.Order(exports...) {
		for _, st := range pl.Stages {
			if mod, ok := stages.Lookup(st.Kind, st.Type); ok && mod.Resolves() {
				targets = append(targets, LockedStage{Pipeline: pl.Name, Stage: st})
			}
		}
	}
	return targets
}

// stageAt is the stage of m at path.
func stageAt(m *manifest.Manifest, path manifest.Path) *manifest.Stage {
	for _, pl := range m.Pipelines {
		for _, st := range pl.Stages {
			if st.Path.String() == path.String() {
				return st
			}
		}
	}
	return nil
}
