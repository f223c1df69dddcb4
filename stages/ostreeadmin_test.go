package stages

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// planDeploy plans an org.osbuild.ostree stage of a second pipeline
// "image" whose input "commit" is inputJSON, after a pipeline
// "ostree-commit".
func planDeploy(t *testing.T, options, inputJSON string) (*Plan, error) {
	t.Helper()
	m, err := manifest.Load("m.json", []byte(`{"version": "2", "pipelines": [
		{"name": "ostree-commit", "stages": [{"type": "org.osbuild.ostree.init"}]},
		{"name": "image", "stages": [{"type": "org.osbuild.ostree", "options": `+options+`, "inputs": {"commit": `+inputJSON+`}}]}]}`))
	if err != nil {
		return nil, err
	}
	return planStage(t, m, m.Pipelines[1], 0)
}

const deployInput = `{"type": "org.osbuild.ostree", "origin": "org.osbuild.pipeline", "references": {"name:ostree-commit": {"ref": "debian/x"}}}`

// osbuild's deploy form plans in the buildroot; bind mounts need the
// entitlement, populate_var the buildroot's systemd-tmpfiles.
func TestOstreeDeployPlan(t *testing.T) {
	p, err := planDeploy(t, `{"osname": "debian"}`, deployInput)
	noErr(t, err)
	if p.Exec == nil || p.Exec.Root != RootBuildroot || p.Exec.Insecure || len(p.Exec.Tools) != 0 {
		t.Errorf("plain deploy: %+v", p.Exec)
	}
	if !slices.Contains(p.Exec.Env, "OSTREE_SYSROOT_DEBUG=mutable-deployments") {
		t.Errorf("env %q: ostree would try chattr +i, which BuildKit's containers may not", p.Exec.Env)
	}
	p, err = planDeploy(t, `{"osname": "debian", "populate_var": true, "mounts": [{"path": "/boot"}]}`, deployInput)
	noErr(t, err)
	if !p.Exec.Insecure || !slices.Equal(p.Exec.Tools, []string{"systemd"}) {
		t.Errorf("deploy with mounts and populate_var: %+v", p.Exec)
	}
}

// A commit from a tree input is refused at the input, saying what to
// write (one from the org.osbuild.ostree source fails earlier: osbuildkit
// has no such source).
func TestOstreeDeployRefusesOtherInputs(t *testing.T) {
	for name, in := range map[string]string{
		"tree input": `{"type": "org.osbuild.tree", "origin": "org.osbuild.pipeline", "references": ["name:ostree-commit"]}`,
	} {
		_, err := planDeploy(t, `{"osname": "debian"}`, in)
		var le *manifest.LocationError
		if !errors.As(err, &le) || le.Path.String() != ".pipelines[1].stages[0].inputs.commit" || !strings.Contains(err.Error(), "from the pipeline that commits the tree") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// The commit is the one the committing pipeline's /compose.json names,
// deployed by the reference's ref when it has one.
func TestOstreeInputCommit(t *testing.T) {
	dir := t.TempDir()
	noErr(t, os.WriteFile(filepath.Join(dir, "compose.json"), []byte(`{"ostree-commit": "abc123", "ref": "debian/x"}`), 0o644))
	rt := &Runtime{Spec: Spec{Inputs: map[string]Input{"commit": {Path: dir, Refs: map[string]json.RawMessage{"name:ostree-commit": json.RawMessage(`{"ref": "debian/y"}`)}}}}}
	repo, commit, ref, err := ostreeInputCommit(rt)
	noErr(t, err)
	if repo != filepath.Join(dir, "repo") || commit != "abc123" || ref != "debian/y" {
		t.Errorf("got %q %q %q", repo, commit, ref)
	}
	rt.Inputs["commit"].Refs["name:ostree-commit"] = json.RawMessage(`null`)
	if _, _, ref, _ := ostreeInputCommit(rt); ref != "abc123" {
		t.Errorf("without a ref the commit is deployed, got %q", ref)
	}
	noErr(t, os.Remove(filepath.Join(dir, "compose.json")))
	if _, _, _, err := ostreeInputCommit(rt); err == nil || !strings.Contains(err.Error(), "an org.osbuild.ostree.commit stage writes it") {
		t.Errorf("no compose.json: %v", err)
	}
}
