package localbuild

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/osbuildkit/osbuildkit/manifest"
	"github.com/osbuildkit/osbuildkit/stages"
)

// lockDoc is a manifest as JSON that `osbuildkit lock` edits: keys keep
// the order the user wrote them in, so a lock diffs against its manifest
// in the places it locks and nowhere else.
type lockDoc struct {
	root *object
	// dropped are sources a replaced packages input referenced; those
	// that nothing references any more are removed.
	dropped map[string]bool
}

// object is a JSON object with its keys in order.
type object struct {
	keys []string
	vals map[string]any
}

func (o *object) get(k string) any { return o.vals[k] }

func (o *object) set(k string, v any) {
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
}

func (o *object) del(k string) {
	if _, ok := o.vals[k]; ok {
		delete(o.vals, k)
		o.keys = slices.DeleteFunc(o.keys, func(s string) bool { return s == k })
	}
}

// child is the object at key k, created when missing.
func (o *object) child(k string) *object {
	if c, ok := o.vals[k].(*object); ok {
		return c
	}
	c := &object{vals: map[string]any{}}
	o.set(k, c)
	return c
}

func (o *object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		vb, err := marshalJSON(o.vals[k])
		if err != nil {
			return nil, err
		}
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

func parseLockDoc(data []byte) (*lockDoc, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, err
	}
	root, ok := v.(*object)
	if !ok {
		return nil, fmt.Errorf("the manifest is not a JSON object")
	}
	return &lockDoc{root: root, dropped: map[string]bool{}}, nil
}

func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		o := &object{vals: map[string]any{}}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			o.set(k.(string), v)
		}
		_, err := dec.Token()
		return o, err
	case json.Delim('['):
		a := []any{}
		for dec.More() {
			v, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		_, err := dec.Token()
		return a, err
	}
	return tok, nil
}

// Bytes is the document, indented by two spaces.
func (d *lockDoc) Bytes() ([]byte, error) {
	d.prune()
	raw, err := marshalJSON(d.root)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// stage is the stage object at path.
func (d *lockDoc) stage(path manifest.Path) (*object, error) {
	var v any = d.root
	for _, e := range path {
		switch e := e.(type) {
		case string:
			o, ok := v.(*object)
			if !ok {
				return nil, fmt.Errorf("%s: no such stage in the manifest", path)
			}
			v = o.get(e)
		case int:
			a, ok := v.([]any)
			if !ok || e >= len(a) {
				return nil, fmt.Errorf("%s: no such stage in the manifest", path)
			}
			v = a[e]
		}
	}
	o, ok := v.(*object)
	if !ok {
		return nil, fmt.Errorf("%s: no such stage in the manifest", path)
	}
	return o, nil
}

// unlock removes the stage's packages input.
func (d *lockDoc) unlock(path manifest.Path) error {
	st, err := d.stage(path)
	if err != nil {
		return err
	}
	inputs, ok := st.get("inputs").(*object)
	if !ok {
		return nil
	}
	if in, ok := inputs.get("packages").(*object); ok {
		for _, id := range referenceIDs(in.get("references")) {
			d.dropped[id] = true
		}
	}
	inputs.del("packages")
	if len(inputs.keys) == 0 {
		st.del("inputs")
	}
	return nil
}

// lock gives the stage a packages input of pkgs, each a curl source.
func (d *lockDoc) lock(path manifest.Path, pkgs []stages.LockedPackage) error {
	if err := d.unlock(path); err != nil {
		return err
	}
	st, err := d.stage(path)
	if err != nil {
		return err
	}
	pkgs = slices.Clone(pkgs)
	slices.SortFunc(pkgs, func(a, b stages.LockedPackage) int {
		return strings.Compare(a.Package+":"+a.Architecture, b.Package+":"+b.Architecture)
	})
	items := d.root.child("sources").child("org.osbuild.curl").child("items")
	refs := []any{}
	for _, p := range pkgs {
		id := "sha256:" + p.SHA256
		url := &object{vals: map[string]any{}}
		url.set("url", p.URL)
		items.set(id, url)
		meta := &object{vals: map[string]any{}}
		for _, k := range []string{stages.MetaPackage, stages.MetaVersion, stages.MetaArch, stages.MetaPriority} {
			if v, ok := p.Metadata()[k]; ok {
				meta.set(k, v)
			}
		}
		opts := &object{vals: map[string]any{}}
		opts.set("metadata", meta)
		ref := &object{vals: map[string]any{}}
		ref.set("id", id)
		ref.set("options", opts)
		refs = append(refs, ref)
	}
	in := &object{vals: map[string]any{}}
	in.set("type", "org.osbuild.files")
	in.set("origin", "org.osbuild.source")
	in.set("references", refs)
	st.child("inputs").set("packages", in)
	return nil
}
