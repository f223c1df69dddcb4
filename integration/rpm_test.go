//go:build integration

package integration

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// rpmManifest is a Debian tree with an RPM (built and signed here, served
// from a local HTTP server) installed by org.osbuild.rpm, its signature
// checked with key.
func rpmManifest(t *testing.T, rpms, url, key string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(rpms, "osbk-hello-post-1.0-1.noarch.rpm"))
	if err != nil {
		t.Fatal(err)
	}
	sum := fmt.Sprintf("sha256:%x", sha256.Sum256(data))
	m := map[string]any{
		"version": "2",
		"sources": map[string]any{"org.osbuild.curl": map[string]any{"items": map[string]any{
			sum: map[string]any{"url": url + "/osbk-hello-post-1.0-1.noarch.rpm"}}}},
		"pipelines": []any{map[string]any{"name": "tree", "stages": []any{
			map[string]any{"type": "org.osbuild.debootstrap", "options": map[string]any{"suite": "bookworm", "variant": "minbase"}},
			map[string]any{"type": "org.osbuild.rpm",
				"inputs": map[string]any{"packages": map[string]any{"type": "org.osbuild.files", "origin": "org.osbuild.source",
					"references": map[string]any{sum: map[string]any{"metadata": map[string]any{"rpm.check_gpg": true}}}}},
				// Debian's /bin/sh is not in the rpm database.
				"options": map[string]any{"gpgkeys": []string{key}, "nodeps": true}},
		}}},
	}
	return writeManifest(t, m)
}

// RPMs built with Debian's rpmbuild install into a Debian tree: the
// signature is checked against the manifest's key, the %post scriptlet
// runs inside the tree, the tree's rpm database knows the package; with a
// key that did not sign it the build fails and says which package.
func TestRPMInstallsIntoDebianTree(t *testing.T) {
	rpms := t.TempDir()
	if out, err := exec.Command(filepath.Join(repo, "hack/test-rpms.sh"), rpms).CombinedOutput(); err != nil {
		t.Fatalf("hack/test-rpms.sh: %v\n%s", err, out)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(rpms)))
	defer srv.Close()
	key := readFile(t, filepath.Join(rpms, "key.asc"))
	tree, _ := buildTree(t, rpmManifest(t, rpms, srv.URL, key), "tree")
	if got := readFile(t, filepath.Join(tree, "usr/share/osbk-hello-post/hello.txt")); got != "hello\n" {
		t.Errorf("hello.txt = %q", got)
	}
	if got := readFile(t, filepath.Join(tree, "var/lib/osbk-hello/post")); got != "ran\n" {
		t.Errorf("the %%post scriptlet's file = %q", got)
	}
	out, err := exec.Command("rpm", "--root", tree, "-q", "osbk-hello-post").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "osbk-hello-post-1.0-1") {
		t.Errorf("rpm -q in the tree: %s %v", out, err)
	}
	other := readFile(t, filepath.Join(rpms, "other-key.asc"))
	log := run(t, 1, cli, "build", "--progress", "plain", "--output-directory", t.TempDir(), rpmManifest(t, rpms, srv.URL, other))
	wantContains(t, "output", log, "does not verify with the manifest's gpgkeys", "stage 1 org.osbuild.rpm (", ".pipelines[0].stages[1])")
}
