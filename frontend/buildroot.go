package frontend

import (
	"fmt"
	"strings"

	"github.com/distribution/reference"
	bkllb "github.com/moby/buildkit/client/llb"

	"github.com/osbuildkit/osbuildkit/llb"
)

// DefaultBuildroot is the prebuilt host buildroot this binary uses when the
// build names none: "BOOTSTRAP,HOST", two image references pinned by
// digest, as `osbuildkit buildroot` publishes them (`make frontend` sets it
// with -ldflags -X). Empty: the host buildroot is built, debian:bookworm
// plus llb.HostTools, in the build's first steps.
var DefaultBuildroot = ""

// BuildBuildroot, as the buildroot option, builds the host buildroot even
// when the binary has a prebuilt one.
const BuildBuildroot = "build"

// Buildroot is the buildroot option, read: the image bootstraps run in and
// the image every other buildroot stage runs in. Both empty: build them.
type Buildroot struct {
	Bootstrap, Host string
}

// ParseBuildroot reads the buildroot option: "" (the binary's default),
// "build", one image (for all stages, as osbuild's build pipeline), or
// "BOOTSTRAP,HOST" (two images: the first for bootstraps, so they need not
// wait for the second, larger one).
func ParseBuildroot(v string) (Buildroot, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		v = DefaultBuildroot
	}
	if v == "" || v == BuildBuildroot {
		return Buildroot{}, nil
	}
	refs := strings.Split(v, ",")
	if len(refs) > 2 {
		return Buildroot{}, fmt.Errorf("%q: give one image, or two (BOOTSTRAP,HOST), or %q", v, BuildBuildroot)
	}
	for i, r := range refs {
		refs[i] = strings.TrimSpace(r)
		if _, err := reference.ParseNormalizedNamed(refs[i]); err != nil {
			return Buildroot{}, fmt.Errorf("%q: %q is not an image reference: %w", v, refs[i], err)
		}
	}
	return Buildroot{Bootstrap: refs[0], Host: refs[len(refs)-1]}, nil
}

// states are the buildroot images as LLB, nil when the buildroot is built.
func (b Buildroot) states() (bootstrap, host *bkllb.State) {
	if b.Host == "" {
		return nil, nil
	}
	image := func(ref string) *bkllb.State {
		st := bkllb.Image(ref, bkllb.WithCustomName("[buildroot] "+ref))
		return &st
	}
	host = image(b.Host)
	if b.Bootstrap == b.Host {
		return host, host
	}
	return image(b.Bootstrap), host
}

// applyBuildroot sets the compilation's buildroots: a named context
// (opts.Buildroot already set) replaces both; else the option's images.
func applyBuildroot(opts *llb.Options, b Buildroot) {
	if opts.Buildroot != nil {
		return
	}
	opts.BootstrapBuildroot, opts.Buildroot = b.states()
}
