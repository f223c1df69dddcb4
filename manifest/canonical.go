package manifest

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
)

// PythonJSON encodes v exactly as Python's json.dumps(v, sort_keys=True)
// does — separators ", " and ": ", non-ASCII escaped as \uXXXX, floats in
// repr() form — because osbuild hashes that text into its IDs. v holds
// values as decoded with json.Decoder.UseNumber, or Go scalars.
func PythonJSON(v any) ([]byte, error) {
	var b strings.Builder
	if err := writePython(&b, v); err != nil {
		return nil, err
	}
	return []byte(b.String()), nil
}

func writePython(b *strings.Builder, v any) error {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case string:
		writePythonString(b, x)
	case json.Number:
		return writePythonNumber(b, string(x))
	case int:
		b.WriteString(strconv.Itoa(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		return writePythonFloat(b, x)
	case []any:
		return writePythonList(b, x)
	case []string:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = e
		}
		return writePythonList(b, l)
	case map[string]any:
		return writePythonObject(b, x)
	case map[string]string:
		m := make(map[string]any, len(x))
		for k, s := range x {
			m[k] = s
		}
		return writePython(b, m)
	default:
		return fmt.Errorf("encoding %T as Python JSON: unsupported type", v)
	}
	return nil
}

func writePythonList(b *strings.Builder, l []any) error {
	b.WriteByte('[')
	for i, e := range l {
		if i > 0 {
			b.WriteString(", ")
		}
		if err := writePython(b, e); err != nil {
			return err
		}
	}
	b.WriteByte(']')
	return nil
}

func writePythonObject(b *strings.Builder, m map[string]any) error {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	// Python sorts str keys by code point; UTF-8 byte order agrees.
	sort.Strings(keys)
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		writePythonString(b, k)
		b.WriteString(": ")
		if err := writePython(b, m[k]); err != nil {
			return err
		}
	}
	b.WriteByte('}')
	return nil
}

const hexDigits = "0123456789abcdef"

func writePythonString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r >= 0x20 && r <= 0x7e:
			b.WriteRune(r)
		case r > 0xffff:
			hi, lo := utf16.EncodeRune(r)
			writeU(b, hi)
			writeU(b, lo)
		default:
			writeU(b, r)
		}
	}
	b.WriteByte('"')
}

func writeU(b *strings.Builder, r rune) {
	b.WriteString(`\u`)
	for shift := 12; shift >= 0; shift -= 4 {
		b.WriteByte(hexDigits[(r>>uint(shift))&0xf])
	}
}

// writePythonNumber renders a JSON number literal as Python would after
// json.loads: integers stay exact, everything else becomes a float.
func writePythonNumber(b *strings.Builder, lit string) error {
	if !strings.ContainsAny(lit, ".eE") {
		n := strings.TrimPrefix(lit, "-")
		if strings.Trim(n, "0") == "" {
			b.WriteString("0")
			return nil
		}
		b.WriteString(lit)
		return nil
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil && !math.IsInf(f, 0) {
		return fmt.Errorf("encoding number %q: %w", lit, err)
	}
	return writePythonFloat(b, f)
}

// writePythonFloat renders f like Python's float.__repr__.
func writePythonFloat(b *strings.Builder, f float64) error {
	switch {
	case math.IsInf(f, 1):
		b.WriteString("Infinity")
		return nil
	case math.IsInf(f, -1):
		b.WriteString("-Infinity")
		return nil
	case math.IsNaN(f):
		b.WriteString("NaN")
		return nil
	}
	// Shortest round-tripping digits, then Python's layout rules: plain
	// notation for decimal exponents -4 <= exp < 16, else d.ddde+XX.
	s := strconv.FormatFloat(f, 'e', -1, 64)
	mant, expStr, _ := strings.Cut(s, "e")
	exp, _ := strconv.Atoi(expStr)
	neg := strings.HasPrefix(mant, "-")
	mant = strings.TrimPrefix(mant, "-")
	digits := strings.Replace(mant, ".", "", 1)
	if neg {
		b.WriteByte('-')
	}
	if exp >= -4 && exp < 16 {
		if exp < 0 {
			b.WriteString("0." + strings.Repeat("0", -exp-1) + digits)
			return nil
		}
		if len(digits) <= exp+1 {
			b.WriteString(digits + strings.Repeat("0", exp+1-len(digits)) + ".0")
			return nil
		}
		b.WriteString(digits[:exp+1] + "." + digits[exp+1:])
		return nil
	}
	b.WriteString(digits[:1])
	if len(digits) > 1 {
		b.WriteString("." + digits[1:])
	}
	sign := "+"
	if exp < 0 {
		sign, exp = "-", -exp
	}
	fmt.Fprintf(b, "e%s%02d", sign, exp)
	return nil
}
