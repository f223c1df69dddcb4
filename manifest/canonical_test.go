package manifest

import (
	"bytes"
	"encoding/json"
	"testing"
)

func decodeNumber(t testing.TB, lit string) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(lit)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decoding %s: %v", lit, err)
	}
	return v
}

// Expected values were printed by Python 3.11's json.dumps(json.loads(in),
// sort_keys=True).
func TestPythonJSON(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`"plain"`, `"plain"`},
		{`"ü"`, `"\u00fc"`},
		{`"☃"`, `"\u2603"`},
		{`"😀"`, `"\ud83d\ude00"`},
		{`"a\"b\\c\n\t\r\b\f"`, `"a\"b\\c\n\t\r\b\f"`},
		{`"\u0001\u001f\u007f"`, `"\u0001\u001f\u007f"`},
		{`"/newfile"`, `"/newfile"`},
		{`0`, `0`},
		{`-0`, `0`},
		{`-1`, `-1`},
		{`12345678901234567890`, `12345678901234567890`},
		{`1.0`, `1.0`},
		{`1.5`, `1.5`},
		{`1e16`, `1e+16`},
		{`1e15`, `1000000000000000.0`},
		{`0.0001`, `0.0001`},
		{`0.00001`, `1e-05`},
		{`-2.5e-7`, `-2.5e-07`},
		{`123456789.125`, `123456789.125`},
		{`1e100`, `1e+100`},
		{`3.0e3`, `3000.0`},
		{`-0.0`, `-0.0`},
		{`true`, `true`},
		{`false`, `false`},
		{`null`, `null`},
		{`[]`, `[]`},
		{`{}`, `{}`},
		{`{"b":1,"a":[1,"x",null],"é":{"z":0}}`, `{"a": [1, "x", null], "b": 1, "\u00e9": {"z": 0}}`},
	} {
		got, err := PythonJSON(decodeNumber(t, tc.in))
		if err != nil {
			t.Errorf("PythonJSON(%s): %v", tc.in, err)
			continue
		}
		if string(got) != tc.want {
			t.Errorf("PythonJSON(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func FuzzPythonJSON(f *testing.F) {
	for _, s := range []string{`{"a": [1, 2.5, "ü"]}`, `1e400`, `"\ud800"`, `[[[]]]`, `-0.0`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		dec := json.NewDecoder(bytes.NewReader([]byte(in)))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) != nil {
			return
		}
		out, err := PythonJSON(v)
		if err != nil {
			return // out-of-range numbers are refused, never mangled
		}
		// Whatever we print must be JSON a Python or Go reader accepts back
		// (Infinity aside, which Python also prints for overflowing floats).
		if bytes.Contains(out, []byte("Infinity")) || bytes.Contains(out, []byte("NaN")) {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("PythonJSON(%q) = %q: not valid JSON", in, out)
		}
		again, err := PythonJSON(decodeNumber(t, string(out)))
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("PythonJSON is not a fixed point for %q: %q then %q (%v)", in, out, again, err)
		}
	})
}
