package localbuild

import (
	"os"
	"path/filepath"
	"testing"
)

// Without --addr or BUILDKIT_HOST, a build finds the daemon `make env`
// started when BuildKit's default socket is absent.
func TestDefaultAddr(t *testing.T) {
	if _, err := os.Stat("/run/buildkit/buildkitd.sock"); err == nil {
		t.Skip("this machine has a daemon on BuildKit's default socket")
	}
	cache := t.TempDir()
	t.Setenv("OSBUILDKIT_CACHE", cache)
	t.Setenv("BUILDKIT_HOST", "")
	if got := DefaultAddr(); got != buildkitDefault {
		t.Errorf("no daemon anywhere: %s, want BuildKit's default", got)
	}
	sock := filepath.Join(cache, "state", "buildkitd.sock")
	if err := os.MkdirAll(filepath.Dir(sock), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sock, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if got := DefaultAddr(); got != "unix://"+sock {
		t.Errorf("with make env's daemon: %s", got)
	}
	t.Setenv("BUILDKIT_HOST", "tcp://builder:1234")
	if got := DefaultAddr(); got != "tcp://builder:1234" {
		t.Errorf("with BUILDKIT_HOST: %s", got)
	}
}
