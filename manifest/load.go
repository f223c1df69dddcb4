package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// StageAliases maps stage names users write to the stage osbuildkit runs.
var StageAliases = map[string]string{
	"org.osbuild.debian.debootstrap": "org.osbuild.debootstrap",
}

// CanonicalStage resolves a stage alias.
func CanonicalStage(name string) string {
	if c, ok := StageAliases[name]; ok {
		return c
	}
	return name
}

// Load parses, validates and normalises a manifest. name is used in
// messages ("-" reads as "<stdin>"). Every problem found is returned at
// once as a *ValidationError.
func Load(name string, data []byte) (*Manifest, error) {
	if name == "-" || name == "" {
		name = "<stdin>"
	}
	f := &File{Name: name, Data: data}
	p := &problems{file: f}
	doc, ok := parseJSON(p, data)
	if !ok {
		return nil, p.err()
	}
	top, isObj := doc.(map[string]any)
	if !isObj {
		p.addf(nil, "%s is not of type 'object': a manifest is a JSON object", pyRepr(doc))
		return nil, p.err()
	}
	var m *Manifest
	switch v := top["version"]; {
	case v == "2":
		m = loadV2(p, top)
	case v == nil || v == "1":
		m = loadV1(p, top)
	default:
		p.addf(Path{"version"}, "%s is not one of ['1', '2']", pyRepr(v))
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	m.file = f
	checkGraph(p, m)
	if err := p.err(); err != nil {
		return nil, err
	}
	if err := computeIDs(m); err != nil {
		return nil, err
	}
	return m, nil
}

// parseJSON decodes the whole document, keeping numbers exact.
func parseJSON(p *problems, data []byte) (any, bool) {
	if !utf8.Valid(data) {
		off := 0
		for off < len(data) {
			r, size := utf8.DecodeRune(data[off:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			off += size
		}
		p.list = append(p.list, &LocationError{File: p.file.Name, Position: offsetPosition(data, off),
			Err: errors.New("the manifest is not valid UTF-8")})
		return nil, false
	}
	if len(bytes.TrimSpace(data)) == 0 {
		p.addf(nil, "the manifest is empty")
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	err := dec.Decode(&doc)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = fmt.Errorf("unexpected data after the top-level value")
			p.list = append(p.list, &LocationError{File: p.file.Name, Position: offsetPosition(data, int(dec.InputOffset())), Err: fmt.Errorf("invalid JSON: %w", err)})
			return nil, false
		}
		return doc, true
	}
	off := len(data)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off = int(se.Offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = errors.New("unexpected end of input")
	}
	p.list = append(p.list, &LocationError{File: p.file.Name, Position: offsetPosition(data, off), Err: fmt.Errorf("invalid JSON: %w", err)})
	return nil, false
}
