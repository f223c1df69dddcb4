package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeManifest(t *testing.T, doc string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "manifest.json")
	if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const mkdirManifest = `{"version": "2", "pipelines": [{"name": "a", "stages": [{"type": "org.osbuild.mkdir", "options": {"paths": [{"path": "/x"}]}}]},
	{"name": "b", "stages": [{"type": "org.osbuild.mkdir", "options": {"paths": [{"path": "/y"}]}}]}]}`

// Bad command lines and manifests fail with exit 2 before contacting a
// daemon (none runs here; the address would not answer).
func TestBuildRejectsBadInputBeforeWork(t *testing.T) {
	manifest := writeManifest(t, mkdirManifest)
	loop := writeManifest(t, `{"version": "2", "pipelines": [{"name": "d", "stages": [
		{"type": "org.osbuild.truncate", "options": {"filename": "/disk.raw", "size": "1G"}},
		{"type": "org.osbuild.mkfs.ext4", "devices": {"device": {"type": "org.osbuild.loopback", "options": {"filename": "disk.raw"}}}, "options": {"uuid": "90f06397-4919-4dc0-aab3-f42d01d2de4f"}}]}]}`)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"stage timeout", []string{"--stage-timeout", "soon", manifest}, `--stage-timeout "soon": use a positive duration`},
		{"source timeout", []string{"--source-timeout", "-1s", manifest}, `--source-timeout "-1s": use a positive duration`},
		{"cache option", []string{"--cache-to", "type=registry,ref", manifest}, `--cache-to: cache option "type=registry,ref"`},
		{"push with two exports", []string{"--push", "localhost:5000/x:1", "--export", "a", "--export", "b", manifest}, "--push takes one export, not 2"},
		{"unknown export", []string{"--export", "c", manifest}, `cannot export "c"`},
		{"entitlement", []string{loop}, "org.osbuild.mkfs.ext4 (.pipelines[0].stages[1]) use loop devices or mounts and need the security.insecure entitlement"},
		{"invalid manifest", []string{writeManifest(t, `{"version": "2", "pipelines": [{"name": "a", "stages": [{"type": "org.osbuild.truncate"}]}]}`)}, "'filename' is a required property"},
		{"monitor", []string{"--monitor", "Fancy", manifest}, `--monitor "Fancy"`},
	} {
		var out, errs bytes.Buffer
		dir := t.TempDir()
		args := append([]string{"build", "--addr", "unix:///nonexistent/buildkitd.sock", "--output-directory", dir}, tc.args...)
		code := Main(args, strings.NewReader(""), &out, &errs)
		if code != exitInvalid || !strings.Contains(errs.String(), tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 and %q", tc.name, code, errs.String(), tc.want)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("%s: the output directory was written: %v", tc.name, entries)
		}
	}
}

func TestValidateAndInspect(t *testing.T) {
	var out, errs bytes.Buffer
	if code := Main([]string{"validate", "--json", "-"}, strings.NewReader(`{"version": "2", "pipelines": [{"name": "a", "stages": [{"type": "org.osbuild.nope"}]}]}`), &out, &errs); code != exitInvalid {
		t.Fatalf("validate: exit %d", code)
	}
	if !strings.Contains(out.String(), `"type": "https://osbuild.org/validation-error"`) || !strings.Contains(out.String(), "could not find schema information for 'org.osbuild.nope'") {
		t.Errorf("validate --json printed %s", out.String())
	}
	out.Reset()
	if code := Main([]string{"--inspect", writeManifest(t, mkdirManifest)}, nil, &out, &errs); code != exitOK || !strings.Contains(out.String(), `"id": "`) {
		t.Errorf("--inspect: exit %d, %s", code, out.String())
	}
}
