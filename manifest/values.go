package manifest

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
)

// resolveLocation turns a validator's instance location into a Path, typing
// array indexes by looking at the document, and returns the value there.
func resolveLocation(doc any, loc []string) (Path, any) {
	path := Path{}
	cur := doc
	for _, tok := range loc {
		switch c := cur.(type) {
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return append(path, tok), nil
			}
			path = append(path, i)
			cur = c[i]
		case map[string]any:
			path = append(path, tok)
			cur = c[tok]
		default:
			return append(path, tok), nil
		}
	}
	return path, cur
}

// pyRepr renders a value roughly as Python's repr() does, as osbuild's
// messages show it; long values are shortened.
func pyRepr(v any) string {
	s := pyReprFull(v)
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}

func pyReprFull(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case string:
		if strings.Contains(x, "'") && !strings.Contains(x, `"`) {
			return `"` + x + `"`
		}
		return "'" + strings.ReplaceAll(strings.ReplaceAll(x, `\`, `\\`), "'", `\'`) + "'"
	case json.Number:
		return x.String()
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = pyReprFull(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = pyReprFull(k) + ": " + pyReprFull(x[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// Accessors for decoded JSON; a missing or mistyped member yields the zero
// value (the schemas have already said what is wrong with it).

func obj(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// optionsOf returns a copy-free options map, never nil.
func optionsOf(v any) map[string]any {
	if m := obj(v); m != nil {
		return m
	}
	return map[string]any{}
}
