package frontend

import (
	"strings"
	"testing"
)

// buildx's platform option: Debian's architectures by their OCI names;
// anything else is refused, naming what is built.
func TestParsePlatforms(t *testing.T) {
	ps, err := ParsePlatforms("linux/amd64,linux/arm64,linux/arm/v7")
	if err != nil || len(ps) != 3 || DebianArch(ps[1]) != "arm64" || DebianArch(ps[2]) != "armhf" {
		t.Fatalf("%+v %v", ps, err)
	}
	for _, bad := range []string{"windows/amd64", "linux/sparc64", "linux//"} {
		if _, err := ParsePlatforms(bad); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("%s: %v", bad, err)
		}
	}
	if ps, err := ParsePlatforms(""); err != nil || ps != nil {
		t.Errorf("none: %+v %v", ps, err)
	}
}
