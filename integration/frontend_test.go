//go:build integration

package integration

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestCallTargetsAndOutline(t *testing.T) {
	manifest := withSyntaxKey(t, manifestFile(t, "manifest/testdata/osbuild-docs/doc-5.json"))
	out := run(t, 0, "docker", "buildx", "build", "-f", manifest, "--call", "targets", filepath.Dir(manifest))
	wantContains(t, "--call targets", out, "files", "archive (default)", "4 stages", "1 stage")
	out = run(t, 0, "docker", "buildx", "build", "-f", manifest, "--call", "outline", filepath.Dir(manifest))
	wantContains(t, "--call outline", out, "archive")
}

// The host buildroot can be replaced by an image (frontend option) or a
// named context; by default the frontend image (hack/frontend.sh) uses the
// prebuilt buildroot published with it, pinned by digest.
func TestBuildrootOverride(t *testing.T) {
	manifest := manifestFile(t, "manifest/testdata/osbuild-docs/doc-1.json")
	dir := filepath.Dir(manifest)
	args := []string{"build", "--progress", "plain", "--frontend", "gateway.v0", "--opt", "source=" + frontend, "--local", "context=" + dir, "--local", "dockerfile=" + dir, "--opt", "filename=manifest.json"}
	for name, tc := range map[string]struct {
		args []string
		uses *regexp.Regexp
	}{
		"option":        {[]string{"--opt", "buildroot=docker.io/library/debian:12"}, regexp.MustCompile(`\[buildroot\] docker.io/library/debian:12\n`)},
		"named context": {[]string{"--opt", "context:buildroot=docker-image://docker.io/library/debian:12"}, regexp.MustCompile(`docker.io/library/debian:12`)},
		"default":       {nil, regexp.MustCompile(`\[buildroot\] localhost:5000/osbuildkit/buildroot:latest@sha256:[0-9a-f]{64}\n`)},
	} {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			log := run(t, 0, "buildctl", append(append(slices.Clone(args), tc.args...), "--output", "type=local,dest="+out)...)
			if strings.Contains(log, "[buildroot] install stage tools") || strings.Contains(log, "[buildroot] install bootstrap tools") {
				t.Error("the default buildroot was built anyway")
			}
			if !tc.uses.MatchString(log) {
				t.Errorf("the log does not show the buildroot %s:\n%s", tc.uses, tail(log, 30))
			}
			checkFile(t, filepath.Join(out, "newfile"), nil, 0o444, 0, 0)
		})
	}
}

// --monitor JSONSeqMonitor streams RFC 7464 records; --json prints
// osbuild's result.
func TestMonitorAndJSON(t *testing.T) {
	manifest := manifestFile(t, "manifest/testdata/osbuild-docs/doc-3.json")
	out := run(t, 0, cli, "build", "--monitor", "JSONSeqMonitor", "--output-directory", t.TempDir(), "--no-cache-stage", "org.osbuild.mkdir", manifest)
	records := bytes.Split([]byte(out), []byte{0x1e})
	seen := false
	for _, r := range records[1:] {
		var rec struct {
			Message string `json:"message"`
			Context struct {
				Pipeline struct {
					Name  string                `json:"name"`
					Stage struct{ Name string } `json:"stage"`
				} `json:"pipeline"`
			} `json:"context"`
		}
		// Progress (stderr) may follow a record in the combined output.
		if err := json.NewDecoder(bytes.NewReader(r)).Decode(&rec); err != nil {
			t.Fatalf("record %q: %v", r, err)
		}
		if rec.Context.Pipeline.Name == "res" && rec.Context.Pipeline.Stage.Name == "org.osbuild.mkdir" && strings.HasPrefix(rec.Message, "Finished") {
			seen = true
		}
	}
	if len(records) < 3 || !seen {
		t.Errorf("monitor output lacks the mkdir stage's records:\n%s", tail(out, 20))
	}
	var res struct {
		Type    string `json:"type"`
		Success bool   `json:"success"`
	}
	js := run(t, 0, cli, "build", "--json", "--output-directory", t.TempDir(), manifest)
	if i := strings.Index(js, "{"); i < 0 || json.Unmarshal([]byte(js[i:]), &res) != nil || !res.Success || res.Type != "result" {
		t.Errorf("--json printed %q", js)
	}
}
