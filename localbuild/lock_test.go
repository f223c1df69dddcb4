package localbuild

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// What lock cannot do is said before it connects to BuildKit.
func TestLockRefusesBeforeConnecting(t *testing.T) {
	opt := Options{Addr: "unix:///nonexistent/buildkitd.sock"}
	_, _, err := Lock(context.Background(), "v1.json", []byte(`{"pipeline": {"stages": [{"name": "org.osbuild.noop"}]}}`), opt)
	var le *manifest.LocationError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), "version 2") {
		t.Errorf("a version 1 manifest: %v", err)
	}
	_, _, err = Lock(context.Background(), "noop.json", []byte(`{"version": "2", "pipelines": [{"name": "p", "stages": [{"type": "org.osbuild.noop"}]}]}`), opt)
	if err == nil || !strings.Contains(err.Error(), "no org.osbuild.debootstrap or org.osbuild.apt stage to lock") {
		t.Errorf("a manifest without package stages: %v", err)
	}
}
