//go:build integration

package integration

import (
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// loopsOfBuildKit lists the host's loop devices backed by BuildKit's state.
func loopsOfBuildKit(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("losetup", "--list", "--noheadings", "--output", "NAME,BACK-FILE").Output()
	if err != nil {
		t.Fatal(err)
	}
	var ours []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if strings.Contains(l, "buildkit") {
			ours = append(ours, l)
		}
	}
	return ours
}

// Interrupting or killing the client while a privileged stage has its
// loop device and mount leaves no loop device or mount on the host, and the
// next build succeeds.
func TestKilledPrivilegedBuildLeavesNoLoopDevices(t *testing.T) {
	if before := loopsOfBuildKit(t); len(before) > 0 {
		t.Fatalf("loop devices of BuildKit before the test: %v", before)
	}
	manifest := manifestFile(t, "integration/testdata/privileged-disk.json")
	// Build the tree first, so the signal lands in the privileged copy.
	run(t, 0, cli, "build", "--progress", "plain", "--export", "tree", "--output-directory", t.TempDir(), manifest)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			// The second attach is the copy stage's, which then mounts.
			interrupt(t, sig, when{line: "attached disk.raw", nth: 1, after: 300 * time.Millisecond}, t.TempDir(),
				"--allow", "security.insecure", "--no-cache-stage", "disk", manifest)
		})
	}
	out := t.TempDir()
	run(t, 0, cli, "build", "--progress", "plain", "--allow", "security.insecure", "--output-directory", out, manifest)
	if got, _ := exec.Command("debugfs", "-R", "stat /usr/bin/bash", out+"/disk/disk.raw").CombinedOutput(); !strings.Contains(string(got), "Type: regular") {
		t.Errorf("the next build's disk lacks /usr/bin/bash:\n%s", got)
	}
}
