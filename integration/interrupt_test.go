//go:build integration

package integration

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startBuild starts the CLI and returns it with its output lines and a
// channel closed once it has exited.
func startBuild(t *testing.T, args ...string) (*exec.Cmd, <-chan string, <-chan struct{}) {
	t.Helper()
	cmd := exec.Command(cli, args...)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1024)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		pw.Close()
		close(done)
	}()
	t.Cleanup(func() { cmd.Process.Kill() })
	return cmd, lines, done
}

// waitForLine reads lines until one contains s; false when the output
// ended first. The lines read are returned for error messages.
func waitForLine(lines <-chan string, s string) (bool, string) {
	var seen strings.Builder
	for l := range lines {
		seen.WriteString(l + "\n")
		if strings.Contains(l, s) {
			return true, seen.String()
		}
	}
	return false, seen.String()
}

// hostClean fails the test when a loop device of BuildKit or a stage's
// mount is left on the host (after a grace period for cleanup).
func hostClean(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for len(loopsOfBuildKit(t)) > 0 && time.Now().Before(deadline) {
		time.Sleep(time.Second)
	}
	if left := loopsOfBuildKit(t); len(left) > 0 {
		t.Errorf("loop devices left: %v", left)
	}
	mounts, _ := os.ReadFile("/proc/mounts")
	if strings.Contains(string(mounts), "/run/osbuild/") {
		t.Errorf("a stage mount is left on the host:\n%s", mounts)
	}
}

// when says at which output line, and how long after it, to signal.
type when struct {
	line  string // a line containing this
	nth   int    // its nth occurrence (0 is the first)
	after time.Duration
}

// interrupt starts a build into out, signals it at the given moment, and
// checks the build ended without exporting anything and left the host
// clean. (A build killed while exporting leaves its hidden temporary
// directory, which the next build there removes.)
func interrupt(t *testing.T, sig syscall.Signal, at when, out string, args ...string) {
	t.Helper()
	cmd, lines, done := startBuild(t, append([]string{"build", "--progress", "plain", "--output-directory", out}, args...)...)
	for i := 0; i <= at.nth; i++ {
		if ok, seen := waitForLine(lines, at.line); !ok {
			t.Fatalf("the build ended before %q (%d):\n%s", at.line, i, tail(seen, 30))
		}
	}
	time.Sleep(at.after)
	cmd.Process.Signal(sig)
	go func() {
		for range lines { // keep the pipe flowing
		}
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Minute): // a guard, not a speed check
		t.Fatalf("the build still runs two minutes after %v", sig)
	}
	if cmd.ProcessState.Success() {
		t.Errorf("the build succeeded despite %v during %s", sig, at.line)
	}
	if sig == syscall.SIGINT && cmd.ProcessState.ExitCode() != 130 {
		t.Errorf("during %s: exit status %d after SIGINT, want 130", at.line, cmd.ProcessState.ExitCode())
	}
	jobEnded(t)
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		if sig != syscall.SIGKILL || !strings.HasPrefix(e.Name(), ".osbuildkit-export-") {
			t.Errorf("the interrupted build left %s in the output directory", e.Name())
		}
	}
	hostClean(t)
}

// jobEnded waits until BuildKit has no build running (these tests run
// alone), so that the next build does not start while the interrupted
// one's job is still being torn down: BuildKit v0.34.2 can then fail the
// next build with "failed to compute cache key: failed to get state for
// index 2 on [disk] org.osbuild.image" (seen once in CI, after a killed
// build with --no-cache-stage: the shared disk step's input was the
// killed job's uncached state, discarded under it). Its history record
// ends just before the job is discarded; the second after covers that.
func jobEnded(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(time.Minute) // a guard, not a speed check
	for {
		out := run(t, 0, "docker", "buildx", "history", "ls", "--no-trunc", "--format", "json")
		if !strings.Contains(out, `"status":"Running"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a build still runs a minute after the interrupted client ended:\n%s", tail(out, 5))
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(time.Second)
}

// Interrupting the client (SIGINT) or killing it (SIGKILL) during
// debootstrap, apt and the unprivileged disk assembly leaves the host
// clean; the next build succeeds and takes what completed from the cache.
func TestInterruptedBuildsResume(t *testing.T) {
	manifest := manifestFile(t, "integration/testdata/interrupted.json")
	t.Run("debootstrap/SIGINT", func(t *testing.T) {
		interrupt(t, syscall.SIGINT, when{line: "[tree] org.osbuild.debootstrap", after: 3 * time.Second}, t.TempDir(), "--no-cache-stage", "org.osbuild.debootstrap", manifest)
	})
	t.Run("debootstrap/SIGKILL", func(t *testing.T) {
		interrupt(t, syscall.SIGKILL, when{line: "[tree] org.osbuild.debootstrap", after: 3 * time.Second}, t.TempDir(), "--no-cache-stage", "org.osbuild.debootstrap", manifest)
	})
	// debootstrap completes here; the kill lands in apt.
	t.Run("apt/SIGKILL", func(t *testing.T) {
		interrupt(t, syscall.SIGKILL, when{line: "[tree] org.osbuild.apt", after: 3 * time.Second}, t.TempDir(), "--no-cache-stage", "org.osbuild.debootstrap", "--no-cache-stage", "org.osbuild.apt", manifest)
	})
	t.Run("apt/SIGINT", func(t *testing.T) {
		interrupt(t, syscall.SIGINT, when{line: "[tree] org.osbuild.apt", after: 3 * time.Second}, t.TempDir(), "--no-cache-stage", "org.osbuild.apt", manifest)
	})
	// The next build reuses debootstrap and completes the tree.
	t.Run("resume-tree", func(t *testing.T) {
		_, log := buildTree(t, manifest, "tree")
		v := vertices(t, log)
		if !cached(v["[tree] org.osbuild.debootstrap"]) {
			t.Errorf("debootstrap, completed before apt was interrupted, ran again: %+v", v["[tree] org.osbuild.debootstrap"])
		}
	})
	out := t.TempDir()
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGKILL} {
		t.Run("disk/"+sig.String(), func(t *testing.T) {
			interrupt(t, sig, when{line: "[disk] org.osbuild.image", after: time.Second}, out, "--export", "disk", "--no-cache-stage", "disk", manifest)
		})
	}
	// Into the killed build's output directory: its temporary export, if
	// any, is removed.
	log := run(t, 0, cli, "build", "--progress", "rawjson", "--export", "disk", "--output-directory", out, manifest)
	if entries, _ := os.ReadDir(out); len(entries) != 1 || entries[0].Name() != "disk" {
		t.Errorf("the output directory holds %v, want only disk", entries)
	}
	v := vertices(t, log)
	for _, step := range []string{"[tree] org.osbuild.debootstrap", "[tree] org.osbuild.apt"} {
		if !cached(v[step]) {
			t.Errorf("%s ran again after the disk assembly was interrupted: %+v", step, v[step])
		}
	}
	got, _ := exec.Command("debugfs", "-R", "stat /usr/bin/less", filepath.Join(out, "disk", "disk.raw")+"?offset=1048576").CombinedOutput()
	if !strings.Contains(string(got), "Type: regular") {
		t.Errorf("the resumed build's disk lacks /usr/bin/less:\n%s", got)
	}
}
