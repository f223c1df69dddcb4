//go:build integration

package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The binary names the BuildKit it was built against: go.mod's.
func TestVersionNamesBuildKit(t *testing.T) {
	mod, err := os.ReadFile(filepath.Join(repo, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`github.com/moby/buildkit (v\S+)`).FindSubmatch(mod)
	if m == nil {
		t.Fatal("go.mod names no BuildKit")
	}
	out := run(t, 0, cli, "--version")
	if want := "(BuildKit " + string(m[1]) + ")"; !strings.HasPrefix(out, "osbuildkit ") || !strings.Contains(out, want) {
		t.Errorf("--version printed %q, want %q", out, want)
	}
}

// Without --addr or BUILDKIT_HOST, a build uses the daemon `make env`
// started, as a new user's first build after `make demo` does.
func TestBuildFindsTheEnvironmentsDaemon(t *testing.T) {
	if _, err := os.Stat("/run/buildkit/buildkitd.sock"); err == nil {
		t.Skip("BuildKit's default socket exists here; it would be used")
	}
	manifest := manifestFile(t, "manifest/testdata/osbuild-docs/doc-3.json")
	cmd := exec.Command(cli, "build", "--progress", "plain", "--output-directory", t.TempDir(), manifest)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BUILDKIT_HOST=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("build without BUILDKIT_HOST: %v\n%s", err, tail(string(out), 20))
	}
}
