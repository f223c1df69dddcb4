package frontend

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	"github.com/moby/buildkit/frontend/gateway/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// ParsePlatforms reads BuildKit's platform option (buildx --platform):
// comma-separated OS/ARCH[/VARIANT], each linux on an architecture Debian
// builds.
func ParsePlatforms(v string) ([]ocispecs.Platform, error) {
	var out []ocispecs.Platform
	for _, s := range splitList(v) {
		p, err := platforms.Parse(s)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", s, err)
		}
		p = platforms.Normalize(p)
		if p.OS != "linux" || DebianArch(p) == "" {
			return nil, fmt.Errorf("%q: osbuildkit builds Debian for linux/amd64, linux/arm64, linux/arm/v7, linux/arm/v6, linux/386, linux/ppc64le, linux/s390x, linux/riscv64, linux/mips64le", s)
		}
		out = append(out, p)
	}
	return out, nil
}

// DebianArch is Debian's name of a platform's architecture, or empty.
func DebianArch(p ocispecs.Platform) string {
	switch p.Architecture {
	case "amd64", "arm64", "s390x", "riscv64":
		return p.Architecture
	case "386":
		return "i386"
	case "ppc64le":
		return "ppc64el"
	case "mips64le":
		return "mips64el"
	case "arm":
		if p.Variant == "v6" || p.Variant == "v5" {
			return "armel"
		}
		return "armhf"
	}
	return ""
}

// WithDefaultArch sets arch on the bootstraps that name none: the
// platform decides what the manifest leaves open. amd64, which a
// bootstrap without arch builds anyway, changes nothing (the same LLB,
// the same cache as a build without --platform).
func WithDefaultArch(m *manifest.Manifest, arch string) {
	if arch == "amd64" {
		return
	}
	for _, pl := range m.Pipelines {
		for _, st := range pl.Stages {
			if st.Type == "org.osbuild.debootstrap" {
				if a, _ := st.Options["arch"].(string); a == "" {
					st.Options["arch"] = arch
				}
			}
		}
	}
}

// BuildPlatforms builds in for its Config.Platforms (buildx and the CLI's
// --platform). None builds the manifest as written; one sets the default
// architecture of its bootstraps and the image config's platform; several
// (or one with Config.MultiPlatform) build it once per platform, each from
// a fresh load (load reads the manifest again), into one result with a ref
// per platform.
func BuildPlatforms(ctx context.Context, c client.Client, in Input, load func() (*manifest.Manifest, error)) (*client.Result, error) {
	ps := in.Config.Platforms
	if len(ps) == 0 && in.Config.MultiPlatform {
		ps = []ocispecs.Platform{{OS: "linux", Architecture: "amd64"}}
	}
	switch {
	case len(ps) == 0:
		return BuildManifest(ctx, c, in)
	case len(ps) == 1 && !in.Config.MultiPlatform:
		in.Platform = &ps[0]
		WithDefaultArch(in.Manifest, DebianArch(ps[0]))
		return BuildManifest(ctx, c, in)
	default:
		return buildPlatforms(ctx, c, in, ps, load)
	}
}

// multiPlatform reads BuildKit's multi-platform option (or its build
// argument BUILDKIT_MULTI_PLATFORM); several platforms are multi-platform
// whatever it says, unless it says false, which contradicts them.
func multiPlatform(opts map[string]string, platforms int) (bool, error) {
	v := opts["multi-platform"]
	if a := opts["build-arg:BUILDKIT_MULTI_PLATFORM"]; a != "" {
		v = a
	}
	if v == "" {
		return platforms > 1, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("frontend option multi-platform: %q is not a boolean", v)
	}
	if !b && platforms > 1 {
		return false, fmt.Errorf("frontend option multi-platform: false, with %d platforms", platforms)
	}
	return b, nil
}

// buildPlatforms builds the manifest once per platform, at once (load
// reads it afresh), each with that platform as its bootstraps' default
// architecture, and returns one result holding a ref per platform, keyed
// as BuildKit's exporters expect (an image index, linux_arm64/… for local
// exports).
func buildPlatforms(ctx context.Context, c client.Client, in Input, ps []ocispecs.Platform, load func() (*manifest.Manifest, error)) (*client.Result, error) {
	results := make([]*client.Result, len(ps))
	eg, ctx := errgroup.WithContext(ctx)
	for i, p := range ps {
		m, err := load()
		if err != nil {
			return nil, err
		}
		WithDefaultArch(m, DebianArch(p))
		pin := in
		pin.Manifest = m
		pin.Platform = &ps[i]
		eg.Go(func() error {
			res, err := BuildManifest(ctx, c, pin)
			if err != nil {
				return fmt.Errorf("%s: %w", platforms.Format(p), err)
			}
			results[i] = res
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	out := client.NewResult()
	var exp exptypes.Platforms
	for i, p := range ps {
		ref, err := results[i].SingleRef()
		if err != nil {
			return nil, err
		}
		key := platforms.FormatAll(p)
		out.AddRef(key, ref)
		if cfg, ok := results[i].Metadata[exptypes.ExporterImageConfigKey]; ok {
			out.AddMeta(exptypes.ExporterImageConfigKey+"/"+key, cfg)
		}
		for _, atts := range results[i].Attestations {
			for _, a := range atts {
				out.AddAttestation(key, a)
			}
		}
		exp.Platforms = append(exp.Platforms, exptypes.Platform{ID: key, Platform: p})
	}
	dt, err := json.Marshal(exp)
	if err != nil {
		return nil, err
	}
	out.AddMeta(exptypes.ExporterPlatformsKey, dt)
	return out, nil
}

// PlatformDir is the directory BuildKit's local exporter puts a platform's
// part of a multi-platform result in: linux_arm64, linux_arm_v7.
func PlatformDir(p ocispecs.Platform) string {
	return strings.ReplaceAll(platforms.FormatAll(platforms.Normalize(p)), "/", "_")
}

// platformKeyOf is the key BuildKit files a single-platform result's
// attestations under.
func platformKeyOf(p *ocispecs.Platform) string {
	if p == nil {
		return "linux/amd64"
	}
	return platforms.FormatAll(platforms.Normalize(*p))
}
