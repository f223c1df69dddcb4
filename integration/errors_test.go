//go:build integration

package integration

import (
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
		})
	}
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
