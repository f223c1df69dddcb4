package manifest

import (
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/osbuildkit/osbuildkit/schemas"
)

// The embedded schemas are parsed and compiled as a manifest needs them
// (its top-level schema, and the modules it names, with what they refer
// to), not all at once: compiling every schema took most of the time a
// no-change rebuild spends before it reaches BuildKit.
var (
	schemaMu   sync.Mutex
	compiler   *jsonschema.Compiler
	compiled   = map[string]*jsonschema.Schema{} // by file path, e.g. "stages/org.osbuild.mkdir.json"
	rawSchemas = map[string]any{}                // by URL, as parsed
)

// embedded loads the schemas' references from the embedded files; the
// compiler calls it from schemaFor, with schemaMu held.
type embedded struct{}

func (embedded) Load(url string) (any, error) {
	f, ok := strings.CutPrefix(url, schemas.BaseURL)
	if !ok {
		return nil, fmt.Errorf("schema %s is not among the embedded ones", url)
	}
	return rawSchemaLocked(f)
}

// rawSchemaLocked is the parsed embedded file f; schemaMu is held.
func rawSchemaLocked(f string) (any, error) {
	if doc, ok := rawSchemas[schemas.BaseURL+f]; ok {
		return doc, nil
	}
	data, err := fs.ReadFile(schemas.FS(), f)
	if err != nil {
		return nil, err
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(data)))
	if err != nil {
		return nil, fmt.Errorf("parsing schema %s: %w", f, err)
	}
	rawSchemas[schemas.BaseURL+f] = doc
	return doc, nil
}

func newCompiler() *jsonschema.Compiler {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	c.UseRegexpEngine(pythonRegexp)
	c.UseLoader(embedded{})
	for name, check := range formatCheckers {
		check := check
		c.RegisterFormat(&jsonschema.Format{Name: name, Validate: func(v any) error {
			s, ok := v.(string)
			if !ok {
				return nil
			}
			return check(s)
		}})
	}
	return c
}

// schemaFor returns the compiled schema of an embedded file.
func schemaFor(file string) (*jsonschema.Schema, error) {
	schemaMu.Lock()
	defer schemaMu.Unlock()
	if s, ok := compiled[file]; ok {
		return s, nil
	}
	if compiler == nil {
		compiler = newCompiler()
	}
	s, err := compiler.Compile(schemas.BaseURL + file)
	if err != nil {
		return nil, fmt.Errorf("compiling schema %s: %w", file, err)
	}
	compiled[file] = s
	return s, nil
}

// validateAgainst validates inst against an embedded schema file and records
// each problem at its path below at.
func (p *problems) validateAgainst(file string, inst any, at Path) {
	s, err := schemaFor(file)
	if err != nil || s == nil {
		p.addf(at, "internal error: schema %s: %v", file, err)
		return
	}
	verr := s.Validate(inst)
	if verr == nil {
		return
	}
	ve, ok := verr.(*jsonschema.ValidationError)
	if !ok {
		p.add(at, verr)
		return
	}
	for _, is := range schemaIssues(ve, inst) {
		p.list = append(p.list, &LocationError{File: p.file.Name, Path: append(append(Path{}, at...), is.path...), Err: fmt.Errorf("%s", is.msg)})
	}
}

type schemaIssue struct {
	path Path
	msg  string
}

var printer = message.NewPrinter(language.English)

// schemaIssues flattens a validation error tree into leaf problems worded
// like Python's jsonschema, which osbuild users know.
func schemaIssues(e *jsonschema.ValidationError, doc any) []schemaIssue {
	path, val := resolveLocation(doc, e.InstanceLocation)
	switch k := e.ErrorKind.(type) {
	case nil:
		return childIssues(e, doc)
	case *kind.Schema, *kind.Group, *kind.Reference, *kind.AllOf:
		return childIssues(e, doc)
	case *kind.OneOf:
		if len(k.Subschemas) > 1 {
			return []schemaIssue{{path, fmt.Sprintf("%s is valid under each of %d of the given schemas", pyRepr(val), len(k.Subschemas))}}
		}
		return alternativeIssues(e, doc, path, val)
	case *kind.AnyOf:
		return alternativeIssues(e, doc, path, val)
	case *kind.Required:
		var out []schemaIssue
		for _, m := range k.Missing {
			out = append(out, schemaIssue{path, fmt.Sprintf("'%s' is a required property", m)})
		}
		return out
	case *kind.AdditionalProperties:
		var out []schemaIssue
		patterns := sortedKeys(obj(obj(schemaNode(strings.TrimSuffix(e.SchemaURL, "/additionalProperties")))["patternProperties"]))
		for _, prop := range k.Properties {
			msg := fmt.Sprintf("Additional properties are not allowed ('%s' was unexpected)", prop)
			if len(patterns) > 0 {
				// As Python's jsonschema says it for names that must match.
				msg = fmt.Sprintf("'%s' does not match any of the regexes: '%s'", prop, strings.Join(patterns, "', '"))
			} else if s := Suggest(prop, allowedProperties(e.SchemaURL)); len(s) > 0 {
				msg += fmt.Sprintf("; did you mean '%s'?", s[0])
			}
			out = append(out, schemaIssue{path.Key(prop), msg})
		}
		return out
	case *kind.PropertyNames:
		var out []schemaIssue
		for _, c := range e.Causes {
			for _, is := range schemaIssues(c, map[string]any{"": k.Property}) {
				out = append(out, schemaIssue{path.Key(k.Property), "invalid name: " + is.msg})
			}
		}
		return out
	}
	return []schemaIssue{{path, leafMessage(e.ErrorKind, val)}}
}

func childIssues(e *jsonschema.ValidationError, doc any) []schemaIssue {
	var out []schemaIssue
	for _, c := range e.Causes {
		out = append(out, schemaIssues(c, doc)...)
	}
	return out
}

// alternativeIssues explains a failed oneOf/anyOf: when exactly one branch
// fits the value's type, its problems are the useful ones.
func alternativeIssues(e *jsonschema.ValidationError, doc any, path Path, val any) []schemaIssue {
	var fitting [][]schemaIssue
	for _, c := range e.Causes {
		if onlyTypeMismatch(c) {
			continue
		}
		fitting = append(fitting, schemaIssues(c, doc))
	}
	if len(fitting) == 1 {
		return fitting[0]
	}
	msg := fmt.Sprintf("%s is not valid under any of the given schemas", pyRepr(val))
	// A schema whose alternatives need explaining says what they are.
	if d, ok := obj(schemaNode(strings.TrimSuffix(strings.TrimSuffix(e.SchemaURL, "/anyOf"), "/oneOf")))["description"].(string); ok {
		msg += ": " + d
	}
	return []schemaIssue{{path, msg}}
}

func onlyTypeMismatch(e *jsonschema.ValidationError) bool {
	switch e.ErrorKind.(type) {
	case *kind.Type, *kind.Const, *kind.Enum:
		return true
	case *kind.Schema, *kind.Group, *kind.Reference, *kind.AllOf, nil:
		if len(e.Causes) == 0 {
			return false
		}
		for _, c := range e.Causes {
			if !onlyTypeMismatch(c) {
				return false
			}
		}
		return true
	}
	return false
}

func leafMessage(k jsonschema.ErrorKind, val any) string {
	v := pyRepr(val)
	switch k := k.(type) {
	case *kind.Type:
		return fmt.Sprintf("%s is not of type %s", v, quoteJoin(k.Want))
	case *kind.Enum:
		var want []string
		for _, w := range k.Want {
			want = append(want, pyRepr(w))
		}
		return fmt.Sprintf("%s is not one of [%s]", v, strings.Join(want, ", "))
	case *kind.Const:
		return fmt.Sprintf("%s was expected", pyRepr(k.Want))
	case *kind.Pattern:
		return fmt.Sprintf("%s does not match '%s'", v, k.Want)
	case *kind.Format:
		return k.Err.Error()
	case *kind.MinItems:
		return fmt.Sprintf("%s is too short (at least %d items)", v, k.Want)
	case *kind.MaxItems:
		return fmt.Sprintf("%s is too long (at most %d items)", v, k.Want)
	case *kind.MinLength:
		return fmt.Sprintf("%s is too short", v)
	case *kind.MaxLength:
		return fmt.Sprintf("%s is too long (at most %d characters)", v, k.Want)
	case *kind.Minimum:
		return fmt.Sprintf("%s is less than the minimum of %s", v, k.Want.RatString())
	case *kind.Maximum:
		return fmt.Sprintf("%s is greater than the maximum of %s", v, k.Want.RatString())
	case *kind.MinProperties:
		return fmt.Sprintf("%s does not have enough properties", v)
	case *kind.MaxProperties:
		return fmt.Sprintf("%s has too many properties", v)
	case *kind.UniqueItems:
		return fmt.Sprintf("%s has non-unique elements", v)
	case *kind.FalseSchema:
		return fmt.Sprintf("False schema does not allow %s", v)
	}
	return k.LocalizedString(printer)
}

func quoteJoin(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = "'" + s + "'"
	}
	return strings.Join(q, ", ")
}

// allowedProperties lists the properties the schema at url (with a JSON
// pointer fragment) declares.
func allowedProperties(url string) []string {
	return sortedKeys(obj(obj(schemaNode(url))["properties"]))
}

// schemaNode is the raw schema at url (with a JSON pointer fragment).
func schemaNode(url string) any {
	base, frag, _ := strings.Cut(url, "#")
	schemaMu.Lock()
	node, _ := rawSchemaLocked(strings.TrimPrefix(base, schemas.BaseURL))
	schemaMu.Unlock()
	for _, tok := range strings.Split(strings.TrimPrefix(frag, "/"), "/") {
		if tok == "" {
			continue
		}
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		if i, err := strconv.Atoi(tok); err == nil {
			if l, ok := node.([]any); ok && i < len(l) {
				node = l[i]
				continue
			}
		}
		node = obj(node)[tok]
	}
	return node
}
