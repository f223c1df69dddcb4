package manifest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
)

// computeIDs sets osbuild's IDs on every stage, input, device, mount and
// pipeline. Pipelines are visited dependencies first, since an ID covers
// the IDs of the build pipeline and of the pipelines used as inputs.
func computeIDs(m *Manifest) error {
	names := make([]string, len(m.Pipelines))
	for i, pl := range m.Pipelines {
		names[i] = pl.Name
	}
	for _, pl := range m.Order(names...) {
		var build any
		if pl.Build != "" {
			build = nullable(m.Pipeline(pl.Build).ID)
		}
		var prev any
		for _, st := range pl.Stages {
			id, err := stageID(m, st, build, prev, pl.SourceEpoch)
			if err != nil {
				return fmt.Errorf("computing the ID of %s: %w", st.Path, err)
			}
			st.ID = id
			prev = id
		}
		if n := len(pl.Stages); n > 0 {
			pl.ID = pl.Stages[n-1].ID
		}
	}
	return nil
}

func nullable(id string) any {
	if id == "" {
		return nil
	}
	return id
}

type idHash struct {
	h   hash.Hash
	err error
}

func newIDHash() *idHash { return &idHash{h: sha256.New()} }

func (x *idHash) add(v any) {
	if x.err != nil {
		return
	}
	b, err := PythonJSON(v)
	if err != nil {
		x.err = err
		return
	}
	x.h.Write(b)
}

func (x *idHash) sum() (string, error) {
	return hex.EncodeToString(x.h.Sum(nil)), x.err
}

func stageID(m *Manifest, st *Stage, build, prev any, epoch *int64) (string, error) {
	h := newIDHash()
	h.add(st.Type)
	h.add(build)
	h.add(prev)
	h.add(st.Options)
	if epoch != nil {
		h.add(*epoch)
	}
	if len(st.Inputs) > 0 {
		ids := map[string]any{}
		for _, in := range st.Inputs {
			id, err := inputID(m, in)
			if err != nil {
				return "", err
			}
			in.ID = id
			ids[in.Name] = id
		}
		h.add(ids)
	}
	for _, d := range st.Devices {
		if _, err := deviceID(st, d); err != nil {
			return "", err
		}
	}
	if len(st.Mounts) > 0 {
		ids := make([]any, len(st.Mounts))
		for i, mt := range st.Mounts {
			id, err := mountID(st, mt)
			if err != nil {
				return "", err
			}
			mt.ID = id
			ids[i] = id
		}
		h.add(ids)
	}
	return h.sum()
}

func inputID(m *Manifest, in *Input) (string, error) {
	refs := map[string]any{}
	for _, r := range in.References {
		key := r.ID
		if in.Origin == OriginPipeline {
			name, _ := r.PipelineName()
			key = "null" // Python's json.dumps renders a None key so
			if pl := m.Pipeline(name); pl != nil && pl.ID != "" {
				key = pl.ID
			}
		}
		refs[key] = r.Options
	}
	h := newIDHash()
	h.add(in.Type)
	h.add(in.Origin)
	h.add(refs)
	h.add(in.Options)
	return h.sum()
}

func deviceID(st *Stage, d *Device) (string, error) {
	if d.ID != "" {
		return d.ID, nil
	}
	h := newIDHash()
	h.add(d.Type)
	if d.Parent != "" {
		pid, err := deviceID(st, st.Device(d.Parent))
		if err != nil {
			return "", err
		}
		h.add(pid)
	}
	h.add(d.Options)
	id, err := h.sum()
	d.ID = id
	return id, err
}

func mountID(st *Stage, mt *Mount) (string, error) {
	h := newIDHash()
	h.add(mt.Type)
	if d := st.Device(mt.Source); d != nil {
		id, err := deviceID(st, d)
		if err != nil {
			return "", err
		}
		h.add(id)
	}
	if mt.Partition != 0 {
		h.add(mt.Partition)
	}
	if mt.Target != "" {
		h.add(mt.Target)
	}
	h.add(mt.Options)
	return h.sum()
}
