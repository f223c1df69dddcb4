package llb

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"slices"
	"testing"

	bkllb "github.com/moby/buildkit/client/llb"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// Whatever loads must compile to an error or to LLB, never panic, and the
// same manifest must always give the same LLB: the build and validate run
// every stage's Plan on user input.
func FuzzCompile(f *testing.F) {
	for _, s := range examples(f) {
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := manifest.Load("fuzz.json", data)
		if err != nil {
			return
		}
		marshal := func() ([][]byte, error) {
			m, err := manifest.Load("fuzz.json", data)
			if err != nil {
				t.Fatalf("loaded once, then: %v", err)
			}
			res, err := Compile(context.Background(), m, Options{Helper: testHelper(), Exports: m.Names()})
			if err != nil {
				return nil, err
			}
			for _, w := range res.Warnings {
				_ = w.String()
			}
			def, err := res.Output.Marshal(context.Background(), bkllb.LinuxAmd64)
			if err != nil {
				t.Fatalf("compiled, but marshalling failed: %v", err)
			}
			return def.Def, nil
		}
		first, err := marshal()
		if err != nil {
			_ = err.Error()
			return
		}
		again, err := marshal()
		if err != nil || !slices.EqualFunc(first, again, func(a, b []byte) bool { return string(a) == string(b) }) {
			t.Fatalf("the same manifest compiled differently (%v)", err)
		}
		_ = m
	})
}

// FuzzCompileOptions changes one value inside the stages' options of an
// example (so most inputs still pass the schema and reach the stages'
// Plan) and compiles the result.
func FuzzCompileOptions(f *testing.F) {
	var bases []any
	for _, s := range examples(f) {
		data, err := os.ReadFile(s)
		if err != nil {
			continue
		}
		var v any
		if json.Unmarshal(data, &v) == nil {
			bases = append(bases, v)
		}
	}
	f.Add(uint8(0), uint16(0), `"x"`)
	f.Add(uint8(3), uint16(7), `-1`)
	f.Add(uint8(5), uint16(2), `"/../etc"`)
	f.Add(uint8(9), uint16(11), `{"a": [1, "b"]}`)
	f.Fuzz(func(t *testing.T, base uint8, at uint16, value string) {
		var doc any
		raw, _ := json.Marshal(bases[int(base)%len(bases)])
		_ = json.Unmarshal(raw, &doc) // a deep copy
		var leaves []func(any)
		collectOptionLeaves(doc, false, &leaves)
		if len(leaves) == 0 {
			return
		}
		var v any
		if json.Unmarshal([]byte(value), &v) != nil {
			v = value
		}
		leaves[int(at)%len(leaves)](v)
		data, _ := json.Marshal(doc)
		m, err := manifest.Load("fuzz.json", data)
		if err != nil {
			return
		}
		if res, err := Compile(context.Background(), m, Options{Helper: testHelper(), Exports: m.Names()}); err == nil {
			if _, err := res.Output.Marshal(context.Background(), bkllb.LinuxAmd64); err != nil {
				t.Fatalf("compiled, but marshalling failed: %v", err)
			}
		} else {
			_ = err.Error()
		}
	})
}

// collectOptionLeaves finds the values inside "options" objects and
// returns setters for them (objects' members and arrays' items, at any
// depth, including whole objects and arrays).
func collectOptionLeaves(v any, inOptions bool, out *[]func(any)) {
	switch x := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(x)) {
			in := inOptions || k == "options"
			if in {
				*out = append(*out, func(n any) { x[k] = n })
			}
			collectOptionLeaves(x[k], in, out)
		}
	case []any:
		for i := range x {
			if inOptions {
				*out = append(*out, func(n any) { x[i] = n })
			}
			collectOptionLeaves(x[i], inOptions, out)
		}
	}
}
