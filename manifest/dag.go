package manifest

import (
	"fmt"
	"sort"
	"strings"
)

// checkGraph checks every reference between pipelines, inputs, sources,
// devices and mounts, and that pipelines form no cycle.
func checkGraph(p *problems, m *Manifest) {
	byName := map[string]*Pipeline{}
	for _, pl := range m.Pipelines {
		if prev, dup := byName[pl.Name]; dup {
			p.addf(pl.Path.Key("name"), "duplicate pipeline name '%s' (first defined at %s)", pl.Name, prev.Path)
			continue
		}
		byName[pl.Name] = pl
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	unknown := func(at Path, name string) {
		msg := fmt.Sprintf("unknown pipeline 'name:%s'", name)
		if s := Suggest(name, names); len(s) > 0 {
			msg += fmt.Sprintf("; did you mean 'name:%s'?", s[0])
		} else if len(names) > 0 {
			msg += fmt.Sprintf(" (pipelines: %s)", strings.Join(names, ", "))
		}
		p.addf(at, "%s", msg)
	}
	for _, pl := range m.Pipelines {
		if pl.Build != "" {
			switch {
			case pl.Build == pl.Name:
				p.addf(pl.Path.Key("build"), "pipeline '%s' cannot be its own build pipeline", pl.Name)
			case byName[pl.Build] == nil:
				unknown(pl.Path.Key("build"), pl.Build)
			}
		}
		for _, st := range pl.Stages {
			checkStageRefs(p, m, st, byName, unknown)
		}
	}
	if len(p.list) == 0 {
		checkCycles(p, m, byName)
	}
}

func checkStageRefs(p *problems, m *Manifest, st *Stage, byName map[string]*Pipeline, unknown func(Path, string)) {
	for _, in := range st.Inputs {
		at := in.Path.Key("references")
		if in.Type == "org.osbuild.tree" && in.Origin != OriginPipeline {
			p.addf(in.Path.Key("origin"), "an org.osbuild.tree input takes its tree from a pipeline: origin must be '%s'", OriginPipeline)
		}
		for _, r := range in.References {
			switch in.Origin {
			case OriginPipeline:
				name, ok := r.PipelineName()
				switch {
				case !ok:
					p.addf(at, "pipeline references are written 'name:PIPELINE', not '%s'", r.ID)
				case byName[name] == nil:
					unknown(at, name)
				}
			case OriginSource:
				if !m.Sources.Has(r.ID) {
					p.addf(at, "unknown source item '%s': no source in 'sources' provides it", r.ID)
				}
			}
		}
	}
	for _, d := range st.Devices {
		if d.Parent != "" && st.Device(d.Parent) == nil {
			p.addf(d.Path.Key("parent"), "unknown device '%s'", d.Parent)
		}
	}
	if err := deviceCycle(st); err != "" {
		p.addf(st.Path.Key("devices"), "%s", err)
	}
	seen := map[string]bool{}
	for _, mt := range st.Mounts {
		if seen[mt.Name] {
			p.addf(mt.Path.Key("name"), "duplicate mount name '%s'", mt.Name)
		}
		seen[mt.Name] = true
		if mt.Type != "org.osbuild.bind" && st.Device(mt.Source) == nil {
			p.addf(mt.Path.Key("source"), "unknown device '%s': a mount's source names one of the stage's devices", mt.Source)
		}
	}
}

func deviceCycle(st *Stage) string {
	for _, d := range st.Devices {
		seen := map[string]bool{d.Name: true}
		chain := []string{d.Name}
		for cur := d; cur.Parent != ""; {
			next := st.Device(cur.Parent)
			if next == nil {
				break
			}
			chain = append(chain, next.Name)
			if seen[next.Name] {
				return "devices form a cycle: " + strings.Join(chain, " → ")
			}
			seen[next.Name] = true
			cur = next
		}
	}
	return ""
}

// Deps returns the pipelines pl needs, in a stable order: its build
// pipeline, then the pipelines its stages take as inputs.
func (m *Manifest) Deps(pl *Pipeline) []string {
	var out []string
	seen := map[string]bool{}
	add := func(n string) {
		if n != "" && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	add(pl.Build)
	for _, st := range pl.Stages {
		for _, in := range st.Inputs {
			if in.Origin != OriginPipeline {
				continue
			}
			for _, r := range in.References {
				if n, ok := r.PipelineName(); ok {
					add(n)
				}
			}
		}
	}
	return out
}

func checkCycles(p *problems, m *Manifest, byName map[string]*Pipeline) {
	const (
		unvisited = iota
		active
		done
	)
	state := map[string]int{}
	var stack []string
	var visit func(n string) bool
	visit = func(n string) bool {
		switch state[n] {
		case active:
			i := len(stack) - 1
			for stack[i] != n {
				i--
			}
			cycle := append(append([]string{}, stack[i:]...), n)
			p.addf(byName[n].Path, "pipelines form a cycle: %s", strings.Join(cycle, " → "))
			return false
		case done:
			return true
		}
		state[n] = active
		stack = append(stack, n)
		for _, d := range m.Deps(byName[n]) {
			if !visit(d) {
				return false
			}
		}
		stack = stack[:len(stack)-1]
		state[n] = done
		return true
	}
	for _, pl := range m.Pipelines {
		if !visit(pl.Name) {
			return
		}
	}
}

// Order returns the pipelines the named ones need, themselves included,
// dependencies first.
func (m *Manifest) Order(names ...string) []*Pipeline {
	var out []*Pipeline
	seen := map[string]bool{}
	var visit func(n string)
	visit = func(n string) {
		pl := m.Pipeline(n)
		if pl == nil || seen[n] {
			return
		}
		seen[n] = true
		for _, d := range m.Deps(pl) {
			visit(d)
		}
		out = append(out, pl)
	}
	for _, n := range names {
		visit(n)
	}
	return out
}
