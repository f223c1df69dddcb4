package frontend

import (
	"strings"
	"testing"

	"github.com/osbuildkit/osbuildkit/llb"
)

const (
	testBoot = "localhost:5000/osbuildkit/buildroot:t-bootstrap@sha256:1111111111111111111111111111111111111111111111111111111111111111"
	testHost = "localhost:5000/osbuildkit/buildroot:t@sha256:2222222222222222222222222222222222222222222222222222222222222222"
)

// The buildroot option (or build arg) names one image, two, or "build";
// left out, the binary's prebuilt default applies.
func TestParseBuildroot(t *testing.T) {
	defer func(d string) { DefaultBuildroot = d }(DefaultBuildroot)
	for _, tc := range []struct {
		def  string
		opts map[string]string
		want Buildroot
		err  string
	}{
		{"", map[string]string{}, Buildroot{}, ""},
		{testBoot + "," + testHost, map[string]string{}, Buildroot{testBoot, testHost}, ""},
		{testBoot + "," + testHost, map[string]string{"buildroot": "build"}, Buildroot{}, ""},
		{testBoot + "," + testHost, map[string]string{"build-arg:OSBUILDKIT_BUILDROOT": "build"}, Buildroot{}, ""},
		{"", map[string]string{"buildroot": "debian:12"}, Buildroot{"debian:12", "debian:12"}, ""},
		{"", map[string]string{"buildroot": testBoot + ", " + testHost}, Buildroot{testBoot, testHost}, ""},
		{"", map[string]string{"buildroot": "a,b,c"}, Buildroot{}, "give one image, or two"},
		{"", map[string]string{"buildroot": "Debian:12"}, Buildroot{}, "is not an image reference"},
		{"", map[string]string{"buildroot": "debian:12,"}, Buildroot{}, "is not an image reference"},
	} {
		DefaultBuildroot = tc.def
		c, err := ParseConfig(tc.opts)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.HasPrefix(err.Error(), "frontend option buildroot: ") {
				t.Errorf("%v: error %v, want one saying %q", tc.opts, err, tc.err)
			}
			continue
		}
		if err != nil || c.Buildroot != tc.want {
			t.Errorf("default %q, %v: %+v (%v), want %+v", tc.def, tc.opts, c.Buildroot, err, tc.want)
		}
	}
}

// A named context replaces both buildroots, whatever the option says; the
// option's images become the compilation's, one image serving both.
func TestApplyBuildroot(t *testing.T) {
	var opts llb.Options
	applyBuildroot(&opts, Buildroot{})
	if opts.Buildroot != nil || opts.BootstrapBuildroot != nil {
		t.Error("no images, yet buildroots set")
	}
	applyBuildroot(&opts, Buildroot{testBoot, testHost})
	if opts.Buildroot == nil || opts.BootstrapBuildroot == nil || opts.Buildroot == opts.BootstrapBuildroot {
		t.Error("two images did not give two buildroots")
	}
	one := llb.Options{}
	applyBuildroot(&one, Buildroot{"debian:12", "debian:12"})
	if one.Buildroot == nil || one.BootstrapBuildroot != one.Buildroot {
		t.Error("one image did not serve both")
	}
	named := one.Buildroot
	ctxOpts := llb.Options{Buildroot: named}
	applyBuildroot(&ctxOpts, Buildroot{testBoot, testHost})
	if ctxOpts.Buildroot != named || ctxOpts.BootstrapBuildroot != nil {
		t.Error("the option's images replaced the named context")
	}
}
