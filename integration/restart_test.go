//go:build integration

package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// restartBuildkitd stops the test environment's buildkitd and starts it
// again with hack/env.sh.
func restartBuildkitd(t *testing.T) {
	t.Helper()
	pidFile := filepath.Join(os.Getenv("OSBUILDKIT_CACHE"), "state", "buildkitd.pid")
	data, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("buildkitd's PID: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	syscall.Kill(pid, syscall.SIGTERM)
	for i := 0; i < 150 && syscall.Kill(pid, 0) == nil; i++ {
		time.Sleep(200 * time.Millisecond)
	}
	syscall.Kill(pid, syscall.SIGKILL)
	up := exec.Command(filepath.Join(repo, "hack", "env.sh"), "up")
	if out, err := up.CombinedOutput(); err != nil {
		t.Fatalf("starting buildkitd again: %v\n%s", err, out)
	}
}

// Restarting buildkitd in the middle of a build fails that build with an
// error saying the connection to BuildKit was lost; building again
// completes.
func TestBuildkitdRestartMidBuild(t *testing.T) {
	manifest := manifestFile(t, "integration/testdata/interrupted.json")
	out := t.TempDir()
	cmd, lines, done := startBuild(t, "build", "--progress", "plain", "--export", "tree", "--no-cache-stage", "org.osbuild.apt", "--output-directory", out, manifest)
	if ok, seen := waitForLine(lines, "[tree] org.osbuild.apt"); !ok {
		t.Fatalf("the build ended before apt started:\n%s", tail(seen, 30))
	}
	time.Sleep(time.Second)
	logged := make(chan string, 1)
	go func() {
		var log strings.Builder
		for l := range lines {
			log.WriteString(l + "\n")
		}
		logged <- log.String()
	}()
	restartBuildkitd(t)
	select {
	case <-done:
	case <-time.After(3 * time.Minute): // a guard, not a speed check
		cmd.Process.Kill()
		t.Fatal("the build still runs three minutes after buildkitd stopped")
	}
	if cmd.ProcessState.Success() {
		t.Error("the build succeeded although buildkitd was restarted during apt")
	}
	wantContains(t, "output", <-logged, "lost the connection to BuildKit")
	if entries, _ := os.ReadDir(out); len(entries) > 0 {
		t.Errorf("the failed build left %v", entries)
	}
	tree, _ := buildTree(t, manifest, "tree")
	if _, err := os.Stat(filepath.Join(tree, "usr/bin/less")); err != nil {
		t.Errorf("the retried build's tree: %v", err)
	}
}
