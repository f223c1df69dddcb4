//go:build integration

package integration

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// authRegistry starts a registry that wants a login (user, password) and
// returns its address.
func authRegistry(t *testing.T, user, password string) string {
	t.Helper()
	d := t.TempDir()
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := fmt.Sprintf(`version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: %s}
http: {addr: %s}
auth:
  htpasswd: {realm: osbuildkit-test, path: %s}
`, filepath.Join(d, "data"), addr, filepath.Join(d, "htpasswd"))
	for name, data := range map[string]string{"registry.yml": cfg, "htpasswd": user + ":" + string(hash) + "\n"} {
		if err := os.WriteFile(filepath.Join(d, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(filepath.Join(os.Getenv("OSBUILDKIT_CACHE"), "bin", "registry"), "serve", filepath.Join(d, "registry.yml"))
	cmd.Env = append(os.Environ(), "OTEL_TRACES_EXPORTER=none")
	startDaemon(t, "the registry with a login", cmd, filepath.Join(d, "log"), func() bool {
		resp, err := http.Get("http://" + addr + "/v2/")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusUnauthorized
	})
	return addr
}

// dockerConfig writes a Docker config directory holding a login for
// registry (none when user is empty) and returns it.
func dockerConfig(t *testing.T, registry, user, password string) string {
	t.Helper()
	d := t.TempDir()
	auths := "{}"
	if user != "" {
		auths = fmt.Sprintf(`{%q: {"auth": %q}}`, registry, base64.StdEncoding.EncodeToString([]byte(user+":"+password)))
	}
	if err := os.WriteFile(filepath.Join(d, "config.json"), []byte(`{"auths": `+auths+`}`), 0o600); err != nil {
		t.Fatal(err)
	}
	return d
}

// The CLI uses the user's registry logins from the Docker config, as
// buildx does: a registry cache goes to, and comes back from, a registry
// that wants a login, and so does a pushed disk image; without the login
// the push is refused.
func TestRegistryCacheWithLogin(t *testing.T) {
	const user = "osbuildkit"
	password := fmt.Sprint(time.Now().UnixNano())
	reg := authRegistry(t, user, password)
	manifest := manifestFile(t, "integration/testdata/lock-small.json")
	cache := reg + "/osbuildkit-test/login:1"
	build := func(config string, want int, args ...string) string {
		cmd := append([]string{"env", "DOCKER_CONFIG=" + config, cli, "build", "--progress", "plain", "--output-directory", t.TempDir()}, args...)
		return run(t, want, cmd[0], append(cmd[1:], manifest)...)
	}

	out := build(dockerConfig(t, reg, "", ""), 1, "--cache-to", "type=registry,ref="+cache+",mode=min")
	if !strings.Contains(strings.ToLower(out), "unauthorized") && !strings.Contains(out, "401") {
		t.Errorf("a push without a login failed, but not for the login:\n%s", tail(out, 20))
	}

	login := dockerConfig(t, reg, user, password)
	build(login, 0, "--cache-to", "type=registry,ref="+cache+",mode=min")
	if status := manifestStatus(t, reg, "osbuildkit-test/login", "1", user, password); status != http.StatusOK {
		t.Fatalf("the cache pushed with a login is not in the registry: %d", status)
	}
	// `osbuildkit push` of a file: refused without the login, stored with it.
	file := filepath.Join(t.TempDir(), "disk.raw")
	if err := os.WriteFile(file, []byte("a disk image"), 0o644); err != nil {
		t.Fatal(err)
	}
	out = run(t, 1, "env", "DOCKER_CONFIG="+dockerConfig(t, reg, "", ""), cli, "push", file, reg+"/osbuildkit-test/disk:1")
	if !strings.Contains(strings.ToLower(out), "unauthorized") {
		t.Errorf("a push without a login failed, but not for the login:\n%s", tail(out, 10))
	}
	run(t, 0, "env", "DOCKER_CONFIG="+login, cli, "push", file, reg+"/osbuildkit-test/disk:1")
	if status := manifestStatus(t, reg, "osbuildkit-test/disk", "1", user, password); status != http.StatusOK {
		t.Errorf("the disk image pushed with a login is not in the registry: %d", status)
	}
	// An empty builder reads the cache back with the login.
	log := build(login, 0, "--addr", isolatedBuildkitd(t, "127.0.0.1 localhost\n"), "--cache-from", "type=registry,ref="+cache)
	if ran := stepOutput.FindAllString(log, -1); len(ran) > 0 {
		t.Errorf("the builder given the cache with a login ran steps; their output:\n%s", strings.Join(ran, "\n"))
	}
}

// manifestStatus is the registry's answer to a login's request for
// repo:tag.
func manifestStatus(t *testing.T, reg, repo, tag, user, password string) int {
	t.Helper()
	req, err := http.NewRequest("GET", "http://"+reg+"/v2/"+repo+"/manifests/"+tag, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(user, password)
	req.Header.Set("Accept", "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
