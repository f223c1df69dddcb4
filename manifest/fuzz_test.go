package manifest

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad: any input either loads or yields a *ValidationError — never a
// panic, never another error type.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/osbuild-docs/doc-*.json")
	more, _ := filepath.Glob("../images/*.json")
	for _, s := range append(seeds, more...) {
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"pipeline": {"build": {"pipeline": {}, "runner": "r"}, "assembler": {"name": "org.osbuild.noop"}}}`))
	f.Add([]byte(`{"version": "2", "pipelines": [{"name": "a", "build": "name:b"}, {"name": "b", "build": "name:a"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Load("fuzz.json", data)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Load returned %T: %v", err, err)
			}
			_ = ve.Error()
			_ = ve.Result()
			return
		}
		_ = m.Describe()
	})
}
