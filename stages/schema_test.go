package stages_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	_ "github.com/osbuildkit/osbuildkit/assemblers"
	"github.com/osbuildkit/osbuildkit/manifest"
	"github.com/osbuildkit/osbuildkit/schemas"
	"github.com/osbuildkit/osbuildkit/stages"
)

// Every option a module's schema accepts decodes into the module's options
// type: the options are decoded strictly, so a property the type lacks
// would pass validation and then fail the build.
func TestSchemaOptionsDecode(t *testing.T) {
	var defs map[string]any
	data, ok := schemas.Module("", "defs")
	if !ok || json.Unmarshal(data, &defs) != nil {
		t.Fatal("cannot read defs.json")
	}
	checked := 0
	for kind, dir := range map[manifest.Kind]schemas.Kind{manifest.KindStage: schemas.Stage, manifest.KindAssembler: schemas.Assembler} {
		for _, name := range stages.Registered(kind) {
			m, _ := stages.Lookup(kind, name)
			data, ok := schemas.Module(dir, name)
			if !ok {
				continue // TestRegistryMatchesSchemas reports it
			}
			var schema map[string]any
			if err := json.Unmarshal(data, &schema); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			opts, _ := dig(schema, "properties", "options").(map[string]any)
			c := &schemaCheck{t: t, defs: defs, file: schema}
			c.walk(string(kind)+" "+name+" options", opts, m.Options)
			checked++
		}
	}
	if checked < 40 {
		t.Errorf("checked %d modules", checked)
	}
}

type schemaCheck struct {
	t          *testing.T
	defs, file map[string]any
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

func (c *schemaCheck) resolve(s map[string]any) map[string]any {
	for depth := 0; depth < 10; depth++ {
		ref, ok := s["$ref"].(string)
		if !ok {
			return s
		}
		doc := c.file
		if before, frag, _ := strings.Cut(ref, "#"); before != "" {
			doc = c.defs
			ref = frag
		} else {
			ref = frag
		}
		var next any = doc
		for _, k := range strings.Split(strings.TrimPrefix(ref, "/"), "/") {
			next = dig(next, k)
		}
		n, ok := next.(map[string]any)
		if !ok {
			c.t.Fatalf("unresolved $ref %q", s["$ref"])
		}
		s = n
	}
	return s
}

// walk checks that what schema s accepts decodes into typ.
func (c *schemaCheck) walk(where string, s map[string]any, typ reflect.Type) {
	if s == nil {
		return
	}
	s = c.resolve(s)
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	if typ.Kind() == reflect.Interface || typ == reflect.TypeFor[json.RawMessage]() {
		return // takes any value
	}
	for _, k := range []string{"oneOf", "anyOf", "allOf"} {
		branches, _ := s[k].([]any)
		for _, b := range branches {
			if bm, ok := b.(map[string]any); ok {
				c.walk(where, bm, typ)
			}
		}
	}
	if props, ok := s["properties"].(map[string]any); ok {
		_, patterned := s["patternProperties"]
		if ap, set := s["additionalProperties"]; (!set || ap != false) && !patterned && typ.Kind() == reflect.Struct &&
			!reflect.PointerTo(typ).Implements(reflect.TypeFor[json.Unmarshaler]()) {
			// osbuild accepts, and ignores, keys such an object does not
			// declare: the type must decode leniently (an UnmarshalJSON).
			c.t.Errorf("%s: the schema leaves the object open, but %s decodes strictly", where, typ)
		}
		for name, ps := range props {
			ft, ok := fieldType(typ, name)
			if !ok {
				c.t.Errorf("%s: the schema accepts %q, which %s has no field for", where, name, typ)
				continue
			}
			psm, _ := ps.(map[string]any)
			c.walk(where+"."+name, psm, ft)
		}
	}
	if items, ok := s["items"].(map[string]any); ok && s["type"] != "object" {
		// ("items" beside "type": "object" constrains nothing: osbuild's
		// selinux labels)
		if typ.Kind() != reflect.Slice && typ.Kind() != reflect.Array {
			c.t.Errorf("%s: the schema takes an array, the type is %s", where, typ)
			return
		}
		c.walk(where+"[]", items, typ.Elem())
	}
	if pp, ok := s["patternProperties"].(map[string]any); ok && typ.Kind() == reflect.Map {
		for pattern, ps := range pp {
			psm, _ := ps.(map[string]any)
			c.walk(where+".<"+pattern+">", psm, typ.Elem())
		}
	}
	if ap, ok := s["additionalProperties"].(map[string]any); ok {
		if typ.Kind() != reflect.Map {
			c.t.Errorf("%s: the schema takes any property names, the type is %s", where, typ)
			return
		}
		c.walk(where+".*", ap, typ.Elem())
	}
}

// fieldType is the type a JSON property decodes into: a struct's field of
// that name (embedded structs included) or a map's values.
func fieldType(typ reflect.Type, name string) (reflect.Type, bool) {
	switch typ.Kind() {
	case reflect.Map:
		return typ.Elem(), true
	case reflect.Struct:
	default:
		return nil, false
	}
	for i := range typ.NumField() {
		f := typ.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && tag == "" {
			if ft, ok := fieldType(f.Type, name); ok {
				return ft, true
			}
			continue
		}
		if tag == name || (tag == "" && strings.EqualFold(f.Name, name)) {
			return f.Type, true
		}
	}
	return nil, false
}
