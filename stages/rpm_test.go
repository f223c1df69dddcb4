package stages

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// testRPMs builds and signs the test RPMs (hack/test-rpms.sh) once.
func testRPMs(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("rpm --root needs root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("../hack/test-rpms.sh", dir).CombinedOutput(); err != nil {
		t.Fatalf("hack/test-rpms.sh: %v\n%s", err, out)
	}
	return dir
}

// rpmInput is a "packages" input as a curl source gives it: each file
// named by its checksum, check_gpg as the reference's metadata.
func rpmInput(t *testing.T, rpms string, checkGPG bool, names ...string) Input {
	in := Input{Type: "org.osbuild.files", Origin: "org.osbuild.source", Path: t.TempDir(), Refs: map[string]json.RawMessage{}}
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(rpms, n))
		if err != nil {
			t.Fatal(err)
		}
		sum := fmt.Sprintf("sha256:%x", sha256.Sum256(data))
		if err := os.WriteFile(filepath.Join(in.Path, sum), data, 0o644); err != nil {
			t.Fatal(err)
		}
		in.Refs[sum] = json.RawMessage(fmt.Sprintf(`{"metadata": {"rpm.check_gpg": %v}}`, checkGPG))
	}
	return in
}

func TestRPMInstallsVerifiedPackages(t *testing.T) {
	rpms := testRPMs(t)
	key, err := os.ReadFile(filepath.Join(rpms, "key.asc"))
	if err != nil {
		t.Fatal(err)
	}
	rt, log := runtimeFor(t, "org.osbuild.rpm", map[string]any{"gpgkeys": []string{string(key)}, "exclude": map[string]any{"docs": true}})
	rt.Inputs = map[string]Input{"packages": rpmInput(t, rpms, true, "osbk-hello-1.0-1.noarch.rpm")}
	if err := run(t, rt); err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	if data, err := os.ReadFile(filepath.Join(rt.Tree, "usr/share/osbk-hello/hello.txt")); err != nil || string(data) != "hello\n" {
		t.Errorf("hello.txt = %q, %v", data, err)
	}
	if _, err := os.Stat(filepath.Join(rt.Tree, "usr/share/doc/osbk-hello/README")); !os.IsNotExist(err) {
		t.Errorf("exclude.docs: the README was installed (%v)", err)
	}
	if out, err := exec.Command("rpm", "--root", rt.Tree, "-q", "osbk-hello").CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "osbk-hello-1.0-1") {
		t.Errorf("the tree's rpm database: %s %v", out, err)
	}
	if fi, err := os.Stat(filepath.Join(rt.Tree, "etc/machine-id")); err != nil || fi.Size() != 0 || fi.Mode().Perm() != 0o444 {
		t.Errorf("/etc/machine-id after rpm: %v %v, want empty, 0444", fi, err)
	}
}

func TestRPMRefusesPackagesTheKeysDoNotSign(t *testing.T) {
	rpms := testRPMs(t)
	other, err := os.ReadFile(filepath.Join(rpms, "other-key.asc"))
	if err != nil {
		t.Fatal(err)
	}
	rt, log := runtimeFor(t, "org.osbuild.rpm", map[string]any{"gpgkeys": []string{string(other)}})
	rt.Inputs = map[string]Input{"packages": rpmInput(t, rpms, true, "osbk-hello-1.0-1.noarch.rpm")}
	err = run(t, rt)
	if err == nil || !strings.Contains(err.Error(), "does not verify with the manifest's gpgkeys") {
		t.Fatalf("error %v, want a signature failure\n%s", err, log)
	}
	if _, err := os.Stat(filepath.Join(rt.Tree, "usr/share/osbk-hello")); !os.IsNotExist(err) {
		t.Errorf("the package was installed anyway (%v)", err)
	}
	// Without check_gpg, osbuild installs it unverified.
	rt, log = runtimeFor(t, "org.osbuild.rpm", map[string]any{"gpgkeys": []string{string(other)}})
	rt.Inputs = map[string]Input{"packages": rpmInput(t, rpms, false, "osbk-hello-1.0-1.noarch.rpm")}
	if err := run(t, rt); err != nil {
		t.Fatalf("without check_gpg: %v\n%s", err, log)
	}
}

func TestRPMEnvConflict(t *testing.T) {
	sum := "sha256:" + strings.Repeat("a", 64)
	m, err := manifest.Load("m.json", []byte(`{"version": "2",
		"sources": {"org.osbuild.curl": {"items": {"`+sum+`": "http://example.invalid/a.rpm"}}},
		"pipelines": [{"name": "os", "stages": [{"type": "org.osbuild.rpm",
		"inputs": {"packages": {"type": "org.osbuild.files", "origin": "org.osbuild.source", "references": {"`+sum+`": {}}}},
		"options": {"generic_env": {"BOOT_ROOT": "/x"}, "kernel_install_env": {"boot_root": "/boot"}}}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = planStage(t, m, m.Pipelines[0], 0)
	if err == nil || !strings.Contains(err.Error(), "BOOT_ROOT") || !strings.Contains(err.Error(), ".options.generic_env") {
		t.Errorf("error %v, want the conflict located", err)
	}
}
