//go:build integration

package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var (
	repo     string // the repository root
	cli      string // bin/osbuildkit
	frontend = "localhost:5000/osbuildkit/frontend:latest"
	webRoot  string // served by webURL
	webURL   string
)

func TestMain(m *testing.M) {
	if err := setup(); err != nil {
		fmt.Fprintf(os.Stderr, "integration setup: %v\n", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func setup() error {
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	repo = filepath.Dir(wd)
	cli = filepath.Join(repo, "bin", "osbuildkit")
	if _, err := os.Stat(cli); err != nil {
		return fmt.Errorf("%s is missing: run `make integration`", cli)
	}
	if os.Getenv("BUILDKIT_HOST") == "" {
		return fmt.Errorf("BUILDKIT_HOST is not set: run `make test`, or eval \"$(make -s env)\" first")
	}
	// The frontend image under test is built from this checkout.
	cmd := exec.Command(filepath.Join(repo, "hack", "frontend.sh"))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.Env = append(os.Environ(), "PROGRESS=quiet")
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building the frontend image: %w", err)
	}
	return startWebServer()
}

// startWebServer serves testdata/web over HTTP on loopback, where
// buildkitd (host network) downloads curl sources from.
func startWebServer() error {
	webRoot = filepath.Join(repo, "integration", "testdata", "web")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	webURL = "http://" + ln.Addr().String()
	go http.Serve(ln, http.FileServer(http.Dir(webRoot)))
	return nil
}

// run runs a command and returns its combined output; it fails the test
// unless the exit status is want.
func run(t *testing.T, want int, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	defer cancel()
	out, code := runCtx(ctx, name, args...)
	if code < 0 {
		t.Fatalf("%s %s: %s", name, strings.Join(args, " "), out)
	}
	if code != want {
		t.Fatalf("%s %s: exit status %d, want %d;%s output:\n%s", name, strings.Join(args, " "), code, want, errorLines(out), tail(out, 60))
	}
	return out
}

// runCtx runs a command until it ends or ctx is done and returns its
// combined output and exit status (-1 when it could not run).
func runCtx(ctx context.Context, name string, args ...string) (string, int) {
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), ee.ExitCode()
	} else if err != nil {
		return err.Error(), -1
	}
	return out.String(), 0
}

// errorLines picks the lines of a failed command's output that say why
// (BuildKit's "ERROR:" lines, the CLI's own message, a full disk), last
// ones first kept, so that they lead a failure report even when the
// report is cut: in a parallel build's plain progress the error can be
// far from the output's end, under other steps' logs.
func errorLines(out string) string {
	var picked []string
	seen := map[string]bool{}
	for _, l := range strings.Split(out, "\n") {
		if !seen[l] && (strings.Contains(l, "ERROR") || strings.Contains(l, "error:") || strings.HasPrefix(l, "osbuildkit") ||
			strings.Contains(l, "No space left") || strings.Contains(l, "no space left")) {
			seen[l] = true
			picked = append(picked, l)
		}
	}
	if len(picked) > 12 {
		picked = picked[len(picked)-12:]
	}
	if len(picked) == 0 {
		return ""
	}
	return " the lines naming an error:\n" + strings.Join(picked, "\n") + "\nthe"
}

func tail(s string, lines int) string {
	l := strings.Split(s, "\n")
	if len(l) > lines {
		l = l[len(l)-lines:]
	}
	return strings.Join(l, "\n")
}

// manifestFile writes a manifest into a fresh directory (the build
// context) with the web server's address substituted, and returns its path.
func manifestFile(t *testing.T, src string, edits ...func(string) string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repo, src))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(string(data), "http://localhost:8080", webURL)
	for _, e := range edits {
		s = e(s)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "manifest.json")
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// writeManifest writes a manifest built in Go into a fresh directory and
// returns its path.
func writeManifest(t *testing.T, m any) string {
	t.Helper()
	out, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "manifest.json")
	if err := os.WriteFile(p, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// referenceImage is images/debian-bookworm-qcow2.json, decoded for a test
// to change.
func referenceImage(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repo, "images/debian-bookworm-qcow2.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// buildOpts are what a test asks of a build, whichever way it runs.
type buildOpts struct {
	target   string // the pipeline to export
	insecure bool   // grant security.insecure
	// sourceTimeout bounds each download, stageTimeout each stage (Go
	// durations).
	sourceTimeout, stageTimeout string
	want                        int // the exit status expected
	// progress is buildctl's progress mode; plain unless set.
	progress string
	// sbom asks for the export's SBOM: --sbom, attest:sbom, --sbom=true.
	sbom bool
}

// withSyntaxKey writes a copy of the manifest that names the frontend in
// its "syntax" key, as users of docker buildx write it.
func withSyntaxKey(t *testing.T, manifest string) string {
	t.Helper()
	data, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(filepath.Dir(manifest), "with-syntax.json")
	if err := os.WriteFile(p, []byte(strings.Replace(string(data), "{", `{"syntax": "`+frontend+`",`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// way is one of the three ways into a build.
type way struct {
	name  string
	build func(t *testing.T, manifest, out string, o buildOpts) string
}

var ways = []way{
	{"osbuildkit", func(t *testing.T, manifest, out string, o buildOpts) string {
		// osbuild's layout: DIR/PIPELINE. Flatten a single export to
		// compare with the other ways.
		tmp := t.TempDir()
		args := []string{"build", "--progress", "plain", "--output-directory", tmp}
		if o.target != "" {
			args = append(args, "--export", o.target)
		}
		if o.insecure {
			args = append(args, "--allow", "security.insecure")
		}
		if o.sourceTimeout != "" {
			args = append(args, "--source-timeout", o.sourceTimeout)
		}
		if o.stageTimeout != "" {
			args = append(args, "--stage-timeout", o.stageTimeout)
		}
		if o.sbom {
			args = append(args, "--sbom")
		}
		output := run(t, o.want, cli, append(args, manifest)...)
		if o.want == 0 {
			entries, _ := os.ReadDir(tmp)
			if len(entries) == 1 {
				if err := os.Rename(filepath.Join(tmp, entries[0].Name()), out); err != nil {
					t.Fatal(err)
				}
			}
		}
		return output
	}},
	{"buildctl", func(t *testing.T, manifest, out string, o buildOpts) string {
		dir := filepath.Dir(manifest)
		progress := "plain"
		if o.progress != "" {
			progress = o.progress
		}
		args := []string{"build", "--progress", progress, "--frontend", "gateway.v0", "--opt", "source=" + frontend,
			"--local", "context=" + dir, "--local", "dockerfile=" + dir, "--opt", "filename=" + filepath.Base(manifest),
			"--output", "type=local,dest=" + out}
		if o.target != "" {
			args = append(args, "--opt", "target="+o.target)
		}
		if o.insecure {
			args = append(args, "--allow", "security.insecure")
		}
		if o.sourceTimeout != "" {
			args = append(args, "--opt", "source-timeout="+o.sourceTimeout)
		}
		if o.stageTimeout != "" {
			args = append(args, "--opt", "stage-timeout="+o.stageTimeout)
		}
		if o.sbom {
			args = append(args, "--opt", "attest:sbom=")
		}
		return run(t, o.want, "buildctl", args...)
	}},
	{"buildx", func(t *testing.T, manifest, out string, o buildOpts) string {
		withSyntax := withSyntaxKey(t, manifest)
		args := []string{"buildx", "build", "--progress", "plain", "-f", withSyntax, "--output", "type=local,dest=" + out}
		if o.target != "" {
			args = append(args, "--target", o.target)
		}
		if o.insecure {
			args = append(args, "--allow", "security.insecure")
		}
		if o.sourceTimeout != "" {
			args = append(args, "--build-arg", "OSBUILDKIT_SOURCE_TIMEOUT="+o.sourceTimeout)
		}
		if o.stageTimeout != "" {
			args = append(args, "--build-arg", "OSBUILDKIT_STAGE_TIMEOUT="+o.stageTimeout)
		}
		if o.sbom {
			args = append(args, "--sbom=true")
		}
		return run(t, o.want, "docker", append(args, filepath.Dir(manifest))...)
	}},
}

func TestErrorLinesLeadAFailureReport(t *testing.T) {
	out := "#9 [tree] org.osbuild.apt\n#9 1.2 Unpacking libc6\n#11 ERROR: process \"/bin/sh\" did not complete successfully: exit code: 2\n" +
		"#9 6.1 dpkg: error: No space left on device\n#9 6.2 Unpacking x\nosbuildkit build: [tree] org.osbuild.apt: exit code 2\n"
	got := errorLines(out)
	for _, want := range []string{"#11 ERROR: process", "No space left on device", "osbuildkit build: [tree]"} {
		if !strings.Contains(got, want) {
			t.Errorf("errorLines lost %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "Unpacking") {
		t.Errorf("errorLines kept a progress line:\n%s", got)
	}
	if errorLines("#1 done\n") != "" {
		t.Error("errorLines of an output without errors is not empty")
	}
}
