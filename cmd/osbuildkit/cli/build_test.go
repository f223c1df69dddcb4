package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/osbuildkit/osbuildkit/manifest"
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
		{"export variable", []string{manifest}, `OSBUILDKIT_EXPORT="tarball": set it to tar`},
		{"stage timeout", []string{"--stage-timeout", "soon", manifest}, `--stage-timeout "soon": use a positive duration`},
		{"source timeout", []string{"--source-timeout", "-1s", manifest}, `--source-timeout "-1s": use a positive duration`},
		{"cache option", []string{"--cache-to", "type=registry,ref", manifest}, `--cache-to: invalid value ref`},
		{"push with two exports", []string{"--push", "localhost:5000/x:1", "--export", "a", "--export", "b", manifest}, "--push takes one export, not 2"},
		{"unknown export", []string{"--export", "c", manifest}, `cannot export "c"`},
		{"unknown platform", []string{"--platform", "linux/sparc64", manifest}, `--platform "linux/sparc64": osbuildkit builds Debian for linux/amd64, linux/arm64`},
		{"bad platform", []string{"--platform", "linux//", manifest}, `--platform "linux//"`},
		{"push of two platforms", []string{"--push", "localhost:5000/x:1", "--export", "a", "--platform", "linux/amd64,linux/arm64", manifest}, "--push takes one platform, not 2"},
		{"entitlement", []string{loop}, "org.osbuild.mkfs.ext4 (.pipelines[0].stages[1]) use loop devices or mounts and need the security.insecure entitlement"},
		{"invalid manifest", []string{writeManifest(t, `{"version": "2", "pipelines": [{"name": "a", "stages": [{"type": "org.osbuild.truncate"}]}]}`)}, "'filename' is a required property"},
		{"monitor", []string{"--monitor", "Fancy", manifest}, `--monitor "Fancy"`},
		{"break without a terminal", []string{"--break", "a", manifest}, "--break opens a shell, so it needs a terminal on standard input"},
		{"break on-error without a terminal", []string{"--break", "on-error", manifest}, "--break opens a shell, so it needs a terminal on standard input"},
	} {
		value := map[string]string{"export variable": "tarball"}[tc.name]
		t.Setenv(exportEnv, value)
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

// validate runs the stages' own checks too: what the build would reject
// before starting is invalid, and warnings are printed.
func TestValidateRunsStageChecks(t *testing.T) {
	overlap := `{"version": "2", "pipelines": [{"name": "t", "stages": []}, {"name": "disk", "stages": [{"type": "org.osbuild.image",
	  "inputs": {"tree": {"type": "org.osbuild.tree", "origin": "org.osbuild.pipeline", "references": ["name:t"]}},
	  "options": {"filename": "d.raw", "size": "1G", "partitions": [{"start": 2048, "size": 204800, "filesystem": {"type": "ext4", "mountpoint": "/"}},
	    {"start": 4096, "size": 2048, "filesystem": {"type": "vfat", "mountpoint": "/boot/efi"}}]}}]}]}`
	path := writeManifest(t, overlap)
	var out, errs bytes.Buffer
	if code := Main([]string{"validate", path}, nil, &out, &errs); code != exitInvalid {
		t.Errorf("validate of overlapping partitions: exit %d, stdout %q", code, out.String())
	}
	if want := ".pipelines[1].stages[0].options.partitions[1].start (" + path + ":4:"; !strings.Contains(errs.String(), want) || !strings.Contains(errs.String(), "partition 2 overlaps partition 1") {
		t.Errorf("validate said %q, want %q and the overlap", errs.String(), want)
	}
	out.Reset()
	errs.Reset()
	if code := Main([]string{"validate", "--json", path}, nil, &out, &errs); code != exitInvalid {
		t.Errorf("validate --json: exit %d", code)
	}
	var res manifest.Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil || res.Success || len(res.Errors) != 1 || res.Errors[0].Line != 4 ||
		fmt.Sprint(res.Errors[0].Path) != "[pipelines 1 stages 0 options partitions 1 start]" {
		t.Errorf("validate --json printed %s (%v)", out.String(), err)
	}
	out.Reset()
	errs.Reset()
	if code := Main([]string{"validate", "../../../images/debian-bootable-qcow2-fixed.json"}, nil, &out, &errs); code != exitOK {
		t.Errorf("validate of the fitted example: exit %d: %s", code, errs.String())
	}
	if !strings.Contains(errs.String(), "osbuildkit: warning: [assembler] assembler 0 org.osbuild.qemu: ") || !strings.Contains(errs.String(), "partition 2 ends 17.0 MiB after the usable end") {
		t.Errorf("validate did not warn: %q", errs.String())
	}
}
