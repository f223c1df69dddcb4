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
	logf, err := os.Create(filepath.Join(d, "log"))
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
	addr := "unix://" + sock
	for i := 0; i < 150; i++ {
		if exec.Command(filepath.Join(bin, "buildctl"), "--addr", addr, "debug", "workers").Run() == nil {
			return addr
		}
		time.Sleep(200 * time.Millisecond)
	}
	log, _ := os.ReadFile(filepath.Join(d, "log"))
	t.Fatalf("the isolated buildkitd did not start:\n%s", tail(string(log), 20))
	return ""
}
