//go:build integration

package integration

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func TestCurlChecksumMismatch(t *testing.T) {
	wrong := "sha256:" + strings.Repeat("0", 64)
	manifest := manifestFile(t, "manifest/testdata/osbuild-docs/doc-3.json", func(s string) string {
		return strings.ReplaceAll(s, "sha256:29ddbe330656a28c0cd1f77332464b74146b32765bc9194112fdc0ffdade8727", wrong)
	})
	for _, w := range ways {
		t.Run(w.name, func(t *testing.T) {
			out := w.build(t, manifest, filepath.Join(t.TempDir(), "out"), buildOpts{want: 1})
			for _, want := range []string{webURL + "/curl-source-file.txt", "checksum mismatch", wrong, "sha256:29ddbe330656a28c0cd1f77332464b74146b32765bc9194112fdc0ffdade8727"} {
				if !strings.Contains(out, want) {
					t.Errorf("error lacks %q:\n%s", want, tail(out, 20))
				}
			}
		})
	}
}

// A failing stage's error names the stage and its place in the manifest,
// through every way in, and so does BuildKit's build history (docker
// buildx history inspect), with the stage's name on its logs; the CLI's
// builds are listed under the manifest's name and exports.
func TestFailingStagePointsAtManifest(t *testing.T) {
	manifest := manifestFile(t, "integration/testdata/failing-stage.json")
	for _, w := range ways {
		t.Run(w.name, func(t *testing.T) {
			out := w.build(t, manifest, filepath.Join(t.TempDir(), "out"), buildOpts{want: 1})
			for _, want := range []string{"[tree] stage 1 org.osbuild.error", ".json:8:9", ".pipelines[0].stages[1]"} {
				if !strings.Contains(out, want) {
					t.Errorf("error lacks %q:\n%s", want, tail(out, 20))
				}
			}
			rec := latestBuild(t)
			if rec.Status != "Error" || w.name == "osbuildkit" && rec.Name != "manifest.json (tree)" {
				t.Errorf("the history's latest build is %+v, want the failed one, named manifest.json (tree) by the CLI", rec)
			}
			inspect := run(t, 0, "docker", "buildx", "history", "inspect", rec.Ref[strings.LastIndex(rec.Ref, "/")+1:])
			wantContains(t, "docker buildx history inspect", inspect, "[tree] stage 1 org.osbuild.error (", ".json:8:9, .pipelines[0].stages[1]) failed",
				"=> [tree] org.osbuild.error", "failing on purpose")
		})
	}
}

// historyRecord is a line of docker buildx history ls --format json.
type historyRecord struct {
	Name, Ref, Status string
}

// latestBuild is the newest build in BuildKit's history.
func latestBuild(t *testing.T) historyRecord {
	t.Helper()
	out := run(t, 0, "docker", "buildx", "history", "ls", "--no-trunc", "--format", "json")
	var rec historyRecord
	line, _, _ := strings.Cut(out, "\n")
	if err := json.Unmarshal([]byte(line), &rec); err != nil {
		t.Fatalf("docker buildx history ls: %v:\n%s", err, tail(out, 5))
	}
	return rec
}

func TestInvalidManifestExitsTwo(t *testing.T) {
	manifest := manifestFile(t, "integration/testdata/failing-stage.json", func(s string) string {
		return strings.Replace(s, `"returncode": 3`, `"returncode": "three"`, 1)
	})
	out := run(t, 2, cli, "build", "--output-directory", t.TempDir(), manifest)
	if !strings.Contains(out, ".pipelines[0].stages[1].options.returncode (line 11, column") || !strings.Contains(out, "'three' is not of type 'number'") {
		t.Errorf("unexpected error:\n%s", out)
	}
	out = ways[1].build(t, manifest, filepath.Join(t.TempDir(), "out"), buildOpts{want: 1})
	if !strings.Contains(out, "'three' is not of type 'number'") {
		t.Errorf("buildctl error:\n%s", tail(out, 20))
	}
}
