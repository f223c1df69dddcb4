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

// BuildKit's multi-platform option: buildx sets it when it spreads several
// platforms over a builder's nodes, each node getting one; several
// platforms are multi-platform anyway, and false with several is refused.
func TestMultiPlatformOption(t *testing.T) {
	for _, tc := range []struct {
		opts map[string]string
		want bool
		err  string
	}{
		{map[string]string{"platform": "linux/arm64"}, false, ""},
		{map[string]string{"platform": "linux/arm64", "multi-platform": "true"}, true, ""},
		{map[string]string{"platform": "linux/arm64", "build-arg:BUILDKIT_MULTI_PLATFORM": "1"}, true, ""},
		{map[string]string{"platform": "linux/amd64,linux/arm64"}, true, ""},
		{map[string]string{"platform": "linux/amd64,linux/arm64", "multi-platform": "false"}, false, "false, with 2 platforms"},
		{map[string]string{"multi-platform": "maybe"}, false, `"maybe" is not a boolean`},
	} {
		c, err := ParseConfig(tc.opts)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v: %v, want %q", tc.opts, err, tc.err)
			}
			continue
		}
		if err != nil || c.MultiPlatform != tc.want {
			t.Errorf("%v: %v %v, want %v", tc.opts, c.MultiPlatform, err, tc.want)
		}
	}
}
