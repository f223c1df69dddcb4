package manifest

import (
	"fmt"
	"strconv"
	"strings"
)

// Path is a location in a JSON document: object keys (string) and array
// indexes (int), outermost first.
type Path []any

// String renders the path the way osbuild names validation errors:
// ".pipelines[0].stages[2].options", "." for the document itself, keys
// containing spaces in single quotes.
func (p Path) String() string {
	if len(p) == 0 {
		return "."
	}
	var b strings.Builder
	for _, e := range p {
		switch v := e.(type) {
		case int:
			b.WriteString("[" + strconv.Itoa(v) + "]")
		case string:
			switch {
			case strings.ContainsAny(v, "/\"[]"):
				// a path or URL as a key: jq's form, so it reads as one key
				b.WriteString("[" + strconv.Quote(v) + "]")
				continue
			case strings.Contains(v, " "):
				v = "'" + v + "'"
			}
			b.WriteString("." + v)
		default:
			fmt.Fprintf(&b, ".%v", v)
		}
	}
	return b.String()
}

// Key returns a copy of p extended by an object key.
func (p Path) Key(k string) Path { return p.with(k) }

// Index returns a copy of p extended by an array index.
func (p Path) Index(i int) Path { return p.with(i) }

func (p Path) with(e any) Path {
	q := make(Path, len(p), len(p)+1)
	copy(q, p)
	return append(q, e)
}

// JSON returns the path as a list for machine-readable output.
func (p Path) JSON() []any {
	if p == nil {
		return []any{}
	}
	return []any(p)
}

func (p Path) less(q Path) bool {
	for i := 0; i < len(p) && i < len(q); i++ {
		a, b := p[i], q[i]
		ai, aInt := a.(int)
		bi, bInt := b.(int)
		switch {
		case aInt && bInt:
			if ai != bi {
				return ai < bi
			}
		case aInt != bInt:
			return aInt
		default:
			as, bs := fmt.Sprint(a), fmt.Sprint(b)
			if as != bs {
				return as < bs
			}
		}
	}
	return len(p) < len(q)
}
