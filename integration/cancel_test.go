//go:build integration

package integration

import (
	"bufio"
	"os"
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

// Killing the client while a privileged stage has its loop device and
// mount leaves no loop device on the host, and the next build succeeds.
func TestKilledPrivilegedBuildLeavesNoLoopDevices(t *testing.T) {
	if before := loopsOfBuildKit(t); len(before) > 0 {
		t.Fatalf("loop devices of BuildKit before the test: %v", before)
	}
	manifest := manifestFile(t, "integration/testdata/privileged-disk.json")
	// Build the tree first, so the kill lands in the privileged copy.
	run(t, 0, cli, "build", "--progress", "plain", "--export", "tree", "--output-directory", t.TempDir(), manifest)
	cmd := exec.Command(cli, "build", "--progress", "plain", "--allow", "security.insecure", "--no-cache-stage", "disk", "--output-directory", t.TempDir(), manifest)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed, attached := false, 0
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		// The second attach is the copy stage's, which then mounts.
		if strings.Contains(sc.Text(), "attached disk.raw") {
			attached++
		}
		if attached == 2 {
			time.Sleep(300 * time.Millisecond)
			cmd.Process.Signal(syscall.SIGKILL)
			killed = true
			break
		}
	}
	cmd.Wait()
	if !killed {
		t.Fatal("the build ended before the privileged stage attached its loop device")
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(loopsOfBuildKit(t)) > 0 && time.Now().Before(deadline) {
		time.Sleep(time.Second)
	}
	if left := loopsOfBuildKit(t); len(left) > 0 {
		t.Errorf("loop devices left after the killed build: %v", left)
	}
	mounts, _ := os.ReadFile("/proc/mounts")
	if strings.Contains(string(mounts), "/run/osbuild/mounts") {
		t.Error("a stage mount is left on the host")
	}
	out := t.TempDir()
	run(t, 0, cli, "build", "--progress", "plain", "--allow", "security.insecure", "--output-directory", out, manifest)
	if got, _ := exec.Command("debugfs", "-R", "stat /usr/bin/bash", out+"/disk/disk.raw").CombinedOutput(); !strings.Contains(string(got), "Type: regular") {
		t.Errorf("the next build's disk lacks /usr/bin/bash:\n%s", got)
	}
}
