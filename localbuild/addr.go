package localbuild

import (
	"os"
	"path/filepath"
	"strings"
)

// BuildKit's own default daemon address.
const buildkitDefault = "unix:///run/buildkit/buildkitd.sock"

// DefaultAddr is the daemon to use when none is named: $BUILDKIT_HOST;
// else BuildKit's default socket when it exists; else the daemon that
// `make env` starts, when its socket exists; else BuildKit's default.
func DefaultAddr() string {
	if addr := os.Getenv("BUILDKIT_HOST"); addr != "" {
		return addr
	}
	if exists(strings.TrimPrefix(buildkitDefault, "unix://")) {
		return buildkitDefault
	}
	if dir, err := CacheDir(); err == nil {
		if sock := filepath.Join(dir, "state", "buildkitd.sock"); exists(sock) {
			return "unix://" + sock
		}
	}
	return buildkitDefault
}

// CacheDir is osbuildkit's directory of state kept between builds:
// $OSBUILDKIT_CACHE, else osbuildkit in the user's cache directory (as
// hack/env.sh has it).
func CacheDir() (string, error) {
	if dir := os.Getenv("OSBUILDKIT_CACHE"); dir != "" {
		return dir, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(cache, "osbuildkit"), nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
