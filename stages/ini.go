package stages

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// member is one member of a JSON object, in the manifest's order.
type member struct {
	Key   string
	Value json.RawMessage
}

// orderedObject decodes a JSON object's members in the order written:
// osbuild's stages write configuration files in that order (Python's
// dicts keep it).
func orderedObject(raw json.RawMessage) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object: %s", raw)
	}
	var out []member
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, member{Key: t.(string), Value: v})
	}
	return out, nil
}

// iniFile is an ini file as Python's configparser writes it with
// space_around_delimiters=False: "[Section]", "key=value" (or "key" for a
// key without a value), a blank line after each section, sections and keys
// in the order set, a key set twice keeping its first place.
type iniFile struct {
	sections []*iniSection
}

type iniSection struct {
	name string
	keys []string
	vals map[string]*string
}

func (f *iniFile) section(name string) *iniSection {
	for _, s := range f.sections {
		if s.name == name {
			return s
		}
	}
	s := &iniSection{name: name, vals: map[string]*string{}}
	f.sections = append(f.sections, s)
	return s
}

// set sets key to value; nil writes the key alone.
func (s *iniSection) set(key string, value *string) {
	if _, ok := s.vals[key]; !ok {
		s.keys = append(s.keys, key)
	}
	s.vals[key] = value
}

func (f *iniFile) bytes() []byte {
	var b strings.Builder
	for _, s := range f.sections {
		b.WriteString("[" + s.name + "]\n")
		for _, k := range s.keys {
			if v := s.vals[k]; v != nil {
				b.WriteString(k + "=" + strings.ReplaceAll(*v, "\n", "\n\t") + "\n")
			} else {
				b.WriteString(k + "\n")
			}
		}
		b.WriteString("\n")
	}
	return []byte(b.String())
}

// pyStr is Python's str() of a JSON value, as osbuild's stages write
// values they do not check: strings as they are, true as True, numbers
// as Python prints them.
func pyStr(raw json.RawMessage) string {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return string(raw)
	}
	switch x := v.(type) {
	case string:
		return x
	case bool:
		return map[bool]string{true: "True", false: "False"}[x]
	case nil:
		return "None"
	case json.Number:
		return x.String()
	}
	return string(raw)
}
