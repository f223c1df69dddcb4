//go:build integration

package integration

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// `osbuildkit buildroot` publishes the host buildroot as two images pinned
// by digest; a build given them (--buildroot BOOTSTRAP,HOST, as a binary
// built with them has by default) pulls them instead of installing tools,
// and makes the same bytes as a build whose buildroot was built.
func TestPrebuiltBuildroot(t *testing.T) {
	out := run(t, 0, cli, "buildroot", "--progress", "quiet", "localhost:5000/osbuildkit/buildroot:itest")
	pinned := strings.TrimSpace(out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:])
	if !regexp.MustCompile(`^localhost:5000/osbuildkit/buildroot:itest-bootstrap@sha256:[0-9a-f]{64},localhost:5000/osbuildkit/buildroot:itest@sha256:[0-9a-f]{64}$`).MatchString(pinned) {
		t.Fatalf("osbuildkit buildroot printed %q", out)
	}
	manifest := manifestFile(t, "integration/testdata/lock-small.json")
	built, _ := buildTree(t, manifest, "tar")
	prebuilt, log := buildTree(t, manifest, "tar", "--buildroot", pinned)
	for _, step := range []string{"[buildroot] install bootstrap tools", "[buildroot] install stage tools"} {
		if strings.Contains(log, step) {
			t.Errorf("the build with prebuilt buildroots ran %s", step)
		}
	}
	if !strings.Contains(log, "[buildroot] localhost:5000/osbuildkit/buildroot:itest-bootstrap@sha256:") {
		t.Errorf("the build's progress does not show the bootstrap image:\n%s", tail(log, 20))
	}
	a, err := os.ReadFile(filepath.Join(built, "small.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(prebuilt, "small.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Errorf("the tree built in the prebuilt buildroot differs: %d bytes against %d", len(b), len(a))
	}
}

// Bad buildroot options are usage errors, exit 2, naming the flag.
func TestBuildrootBadInput(t *testing.T) {
	out := run(t, 2, cli, "buildroot", "localhost:5000/Bad:ref")
	wantContains(t, "osbuildkit buildroot with a bad reference", out, "is not an image reference")
	out = run(t, 2, cli, "build", "--buildroot", "a,b,c", "--output-directory", t.TempDir(), manifestFile(t, "integration/testdata/lock-small.json"))
	wantContains(t, "--buildroot with three images", out, "--buildroot", "give one image, or two")
}
