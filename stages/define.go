package stages

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"strings"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// Definition is one stage or assembler: its osbuild name, the type its
// options decode into, how it is planned and what the helper runs. The
// options are decoded strictly, by one decoder, for the plan and again in
// the sandbox, so both sides read them the same way.
type Definition[O any] struct {
	// Type is the osbuild name, e.g. "org.osbuild.mkdir".
	Type string
	// Kind is manifest.KindStage when empty.
	Kind manifest.Kind
	// Plan checks the options beyond the schema and says how the stage
	// runs. Nil runs the helper in the buildroot with the network off.
	Plan func(c *Context, o *O) (*Plan, error)
	// Run is the helper's side, in the sandbox. Nil for stages that are
	// file operations only.
	Run func(rt *Runtime, o *O) error
	// Resolve, for a stage that installs packages, says which packages
	// Run would download, without installing them into the pipeline's
	// tree: what `osbuildkit lock` pins.
	Resolve func(rt *Runtime, o *O) ([]LockedPackage, error)
}

// Define registers a stage or assembler definition.
func Define[O any](d Definition[O]) {
	kind := d.Kind
	if kind == "" {
		kind = manifest.KindStage
	}
	m := &Module{Type: d.Type, Kind: kind, Options: reflect.TypeFor[O]()}
	m.plan = func(c *Context) (*Plan, error) {
		raw, err := json.Marshal(c.Options)
		if err != nil {
			return nil, err
		}
		o, err := decodeOptions[O](raw)
		if err != nil {
			return nil, &manifest.LocationError{Path: c.OptionsPath(), Err: fmt.Errorf("decoding options: %w", err)}
		}
		if d.Plan == nil {
			return InBuildroot(), nil
		}
		return d.Plan(c, o)
	}
	if d.Run != nil {
		m.run = func(rt *Runtime) error {
			o, err := decodeOptions[O](rt.Options)
			if err != nil {
				return fmt.Errorf("decoding %s options: %w", rt.Type, err)
			}
			return d.Run(rt, o)
		}
	}
	if d.Resolve != nil {
		m.resolve = func(rt *Runtime) error {
			o, err := decodeOptions[O](rt.Options)
			if err != nil {
				return fmt.Errorf("decoding %s options: %w", rt.Type, err)
			}
			pkgs, err := d.Resolve(rt, o)
			if err != nil {
				return err
			}
			return writeLock(rt.Lock, pkgs)
		}
	}
	register(m)
}

// decodeOptions decodes a stage's options into a new O; a field the type
// does not have is an error.
func decodeOptions[O any](raw []byte) (*O, error) {
	o := new(O)
	if len(bytes.TrimSpace(raw)) == 0 {
		return o, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(o); err != nil {
		return nil, err
	}
	return o, nil
}

// Module is a registered stage or assembler.
type Module struct {
	Type string
	Kind manifest.Kind
	// Options is the type the options decode into.
	Options reflect.Type
	plan    func(c *Context) (*Plan, error)
	run     func(rt *Runtime) error
	resolve func(rt *Runtime) error
}

// Plan decodes the stage's options and plans it.
func (m *Module) Plan(c *Context) (*Plan, error) { return m.plan(c) }

// Runs reports whether the helper has anything to run for the module.
func (m *Module) Runs() bool { return m.run != nil }

// Run decodes the options the helper was given and runs the stage.
func (m *Module) Run(rt *Runtime) error {
	if m.run == nil {
		return fmt.Errorf("%s %s has no helper implementation", m.Kind, m.Type)
	}
	return m.run(rt)
}

// Resolves reports whether the stage can be locked (Definition.Resolve).
func (m *Module) Resolves() bool { return m.resolve != nil }

// Resolve decodes the options and writes what the stage would install.
func (m *Module) Resolve(rt *Runtime) error {
	if m.resolve == nil {
		return fmt.Errorf("%s %s installs no packages: there is nothing to lock", m.Kind, m.Type)
	}
	return m.resolve(rt)
}

// Context is what a stage's Plan sees: the stage, and the pipeline and
// manifest it belongs to.
type Context struct {
	*manifest.Stage
	Pipeline *manifest.Pipeline
	Manifest *manifest.Manifest
}

// OptionError is a problem with the option at path (below the stage's
// options), located in the manifest.
func (c *Context) OptionError(path manifest.Path, format string, args ...any) error {
	return &manifest.LocationError{Path: append(c.OptionsPath(), path...), Err: fmt.Errorf(format, args...)}
}

// StageError is a problem with the stage as a whole.
func (c *Context) StageError(format string, args ...any) error {
	return &manifest.LocationError{Path: c.Path, Err: fmt.Errorf(format, args...)}
}

// RequireInput fails unless the stage has the named input.
func (c *Context) RequireInput(name string) error {
	if c.Input(name) == nil {
		return c.StageError("%s needs an input named %q", c.Type, name)
	}
	return nil
}

// InBuildroot is the plan of a stage that runs the helper in the
// buildroot with the network off.
func InBuildroot() *Plan { return &Plan{Exec: &Exec{Root: RootBuildroot}} }

// planInTree is the plan of a stage that runs the helper with the tree as
// the root filesystem, so the tree's own tools (useradd, systemctl) run.
func planInTree[O any](*Context, *O) (*Plan, error) { return &Plan{Exec: &Exec{Root: RootTree}}, nil }

// withOption is a stage's options with one more: what the plan hands the
// helper from elsewhere in the manifest (Exec.Options).
func withOption(options map[string]any, key string, value any) map[string]any {
	out := maps.Clone(options)
	if out == nil {
		out = map[string]any{}
	}
	out[key] = value
	return out
}

// written is the option at path as the manifest's file has it, members in
// the order written (manifest.Manifest.Written), or have, the option as
// decoded, when the file cannot tell.
func (c *Context) written(path manifest.Path, have json.RawMessage) json.RawMessage {
	if c.Manifest != nil {
		if w := c.Manifest.Written(c.Stage, path); w != nil {
			return w
		}
	}
	return have
}

// TreePath is manifest.TreePath of the option at path, located.
func (c *Context) TreePath(path manifest.Path, p string) (string, error) {
	q, err := manifest.TreePath(p)
	if err != nil {
		return "", c.OptionError(path, "%v", err)
	}
	return q, nil
}

// OutputName is manifest.OutputName of the option at path, located.
func (c *Context) OutputName(path manifest.Path, p string) (string, error) {
	q, err := manifest.OutputName(p)
	if err != nil {
		return "", c.OptionError(path, "%v", err)
	}
	return q, nil
}

// outputPlan is the plan of a stage that writes the file filename (the
// option "filename") into its tree, running in the buildroot.
func outputPlan(c *Context, filename string) (*Plan, error) {
	name, err := c.OutputName(manifest.Path{"filename"}, filename)
	if err != nil {
		return nil, err
	}
	plan := InBuildroot()
	plan.Outputs = []string{name}
	plan.Exec.BareRoot = true
	return plan, nil
}

// treeOutputPlan is the plan of a stage that writes the file filename, a
// path in its tree whose directory an earlier stage made (osbuild's
// squashfs and cpio.out), running in the buildroot.
func treeOutputPlan(c *Context, filename string) (*Plan, error) {
	path, err := c.TreePath(manifest.Path{"filename"}, filename)
	if err != nil {
		return nil, err
	}
	plan := InBuildroot()
	plan.Outputs = []string{strings.TrimPrefix(path, "/")}
	return plan, nil
}

// planFileInput is the plan of a stage that reads its "file" input in the
// buildroot.
func planFileInput[O any](c *Context, _ *O) (*Plan, error) {
	if err := c.RequireInput("file"); err != nil {
		return nil, err
	}
	return InBuildroot(), nil
}
