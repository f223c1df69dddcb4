package stages

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// gzip, xz and zstd compress the one file of their "file" input into the
// tree; gunzip takes it back.
func TestCompressionStages(t *testing.T) {
	in := t.TempDir()
	data := bytes.Repeat([]byte("osbuildkit "), 1000)
	if err := os.WriteFile(filepath.Join(in, "disk.raw"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	file := map[string]Input{"file": {Type: "org.osbuild.files", Origin: "org.osbuild.pipeline", Path: in, Refs: map[string]json.RawMessage{"name:image": json.RawMessage(`{"file": "disk.raw"}`)}}}
	for _, tc := range []struct{ stage, options, out, check string }{
		{"org.osbuild.gzip", `{"filename": "disk.raw.gz", "level": 9}`, "disk.raw.gz", "gunzip"},
		{"org.osbuild.xz", `{"filename": "/disk.raw.xz"}`, "disk.raw.xz", "unxz"},
		{"org.osbuild.zstd", `{"filename": "disk.raw.zst"}`, "disk.raw.zst", "unzstd"},
	} {
		rt, log := runtimeFor(t, tc.stage, nil)
		rt.Options, rt.Inputs = []byte(tc.options), file
		if err := run(t, rt); err != nil {
			t.Fatalf("%s: %v\n%s", tc.stage, err, log)
		}
		got, err := exec.Command(tc.check, "--stdout", filepath.Join(rt.Tree, tc.out)).Output()
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s: %s did not give the file back (%v)", tc.stage, tc.check, err)
		}
	}
}
