//go:build integration

package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"
)

// isolatedBuildkitd starts a buildkitd with empty state that reads hosts
// as /etc/hosts (its own mount namespace), and returns its address; it is
// stopped when the test ends.
func isolatedBuildkitd(t *testing.T, hosts string) string {
	t.Helper()
	state := filepath.Join(os.Getenv("OSBUILDKIT_CACHE"), "state")
	cfg, err := os.ReadFile(filepath.Join(state, "buildkitd.toml"))
	if err != nil {
		t.Fatal(err)
	}
	d := t.TempDir()
	sock := filepath.Join(d, "buildkitd.sock")
	c := regexp.MustCompile(`(?m)^root = .*$`).ReplaceAllString(string(cfg), fmt.Sprintf("root = %q", filepath.Join(d, "root")))
	c = regexp.MustCompile(`unix://[^"]*buildkitd.sock`).ReplaceAllString(c, "unix://"+sock)
	for name, data := range map[string]string{"buildkitd.toml": c, "hosts": hosts} {
		if err := os.WriteFile(filepath.Join(d, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(os.Getenv("OSBUILDKIT_CACHE"), "bin")
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c",
		`mount --bind "$1/hosts" /etc/hosts && exec "$2/buildkitd" --config "$1/buildkitd.toml"`, "sh", d, bin)
	addr := "unix://" + sock
	startDaemon(t, "the isolated buildkitd", cmd, filepath.Join(d, "log"), func() bool {
		return exec.Command(filepath.Join(bin, "buildctl"), "--addr", addr, "debug", "workers").Run() == nil
	})
	return addr
}

// startDaemon starts cmd with its output in logPath, stops it when the
// test ends (SIGTERM, then SIGKILL after 30 s), and returns once ready
// says it serves; it fails the test with the log's end when that takes
// over 30 s.
func startDaemon(t *testing.T, what string, cmd *exec.Cmd, logPath string, ready func() bool) {
	t.Helper()
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		logf.Close()
	})
	for i := 0; i < 150; i++ {
		if ready() {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	log, _ := os.ReadFile(logPath)
	t.Fatalf("%s did not start:\n%s", what, tail(string(log), 20))
}
