//go:build integration

package integration

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Forcing the apt stage (as the README says to, for security updates)
// re-runs it and everything built on it: the stages after it and the
// disk made of the tree, so the disk holds what the new run installed
// (/var/log/apt's history shows the run). Keys follow the LLB chain:
// before, BuildKit ran the step right after the forced one again, but
// took the next (mkdir here) from the cache, built on the earlier apt
// tree; the disk had the earlier packages (and, with a kernel, its step
// failed in debugfs on the /vmlinuz symlinks that differed).
func TestForcedAptReachesTheDisk(t *testing.T) {
	manifest := manifestFile(t, "integration/testdata/interrupted.json", func(s string) string {
		return strings.Replace(s, `{"type": "org.osbuild.apt", "options": {"packages": ["less"]}}`,
			`{"type": "org.osbuild.apt", "options": {"packages": ["less"]}},
        {"type": "org.osbuild.hostname", "options": {"hostname": "forced-apt"}},
        {"type": "org.osbuild.mkdir", "options": {"paths": [{"path": "/srv/forced"}]}}`, 1)
	})
	first := t.TempDir()
	run(t, 0, cli, "build", "--progress", "plain", "--export", "disk", "--output-directory", first, manifest)
	out := t.TempDir()
	log := run(t, 0, cli, "build", "--progress", "rawjson", "--export", "tree", "--export", "disk", "--no-cache-stage", "org.osbuild.apt", "--output-directory", out, manifest)
	v := vertices(t, log)
	for _, step := range []string{"[tree] org.osbuild.apt", "[tree] org.osbuild.hostname", "[tree] org.osbuild.mkdir", "[disk] org.osbuild.image"} {
		if !v[step].ran {
			t.Errorf("%s did not run again: %+v", step, v[step])
		}
	}
	if !cached(v["[tree] org.osbuild.debootstrap"]) {
		t.Errorf("debootstrap, before the forced stage, ran again: %+v", v["[tree] org.osbuild.debootstrap"])
	}
	history := func(disk string) string {
		out, err := exec.Command("debugfs", "-R", "cat /var/log/apt/history.log", disk+"?offset=1048576").Output()
		if err != nil || !strings.Contains(string(out), "Start-Date:") {
			t.Fatalf("the apt history in %s: %v\n%s", disk, err, out)
		}
		return string(out)
	}
	before, after := history(filepath.Join(first, "disk", "disk.raw")), history(filepath.Join(out, "disk", "disk.raw"))
	if before == after {
		t.Errorf("the disk built with apt forced holds the earlier apt run's history:\n%s", after)
	}
	if tree := readFile(t, filepath.Join(out, "tree", "var/log/apt/history.log")); tree != after {
		t.Errorf("the disk's apt history is not the exported tree's:\n%s\nthe tree's:\n%s", after, tree)
	}
}
