package frontend

import (
	"fmt"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"strings"
	"time"

	bkllb "github.com/moby/buildkit/client/llb"

	"github.com/osbuildkit/osbuildkit/llb"
)

// Frontend options (buildctl --opt KEY=VALUE; buildx maps --target,
// --no-cache-filter and --build-arg onto them).
const (
	optTarget    = "target"    // comma-separated pipelines to export
	optExport    = "export"    // alias of target, as osbuild's --export
	optBuildroot = "buildroot" // image replacing the host buildroot
	optLayout    = "layout"    // "by-name": a directory per export; "containerdisk"
	optNoCache   = "no-cache"  // comma-separated stages to force; empty forces all
	// optSourceTimeout bounds each download (a Go duration); buildx passes
	// it as --build-arg OSBUILDKIT_SOURCE_TIMEOUT.
	optSourceTimeout = "source-timeout"
	// optStageTimeout bounds each stage (a Go duration); buildx passes it
	// as --build-arg OSBUILDKIT_STAGE_TIMEOUT.
	optStageTimeout = "stage-timeout"
)

// Config is the frontend options, parsed once.
type Config struct {
	Exports []string
	// Buildroot is the host buildroot's images (option buildroot, build
	// arg OSBUILDKIT_BUILDROOT; default DefaultBuildroot).
	Buildroot Buildroot
	Layout    llb.Layout
	// NoCacheAll forces every step; NoCache forces the named stages.
	NoCacheAll bool
	NoCache    []string
	Proxy      *bkllb.ProxyEnv
	// SourceTimeout bounds each download; zero means DefaultSourceTimeout.
	SourceTimeout time.Duration
	// StageTimeout bounds each stage; zero means none.
	StageTimeout time.Duration
	// SBOM asks for the exports' SBOMs: BuildKit's attest:sbom request
	// (buildx --sbom=true) attaches them as attestations.
	SBOM llb.SBOM
	// Platforms are the target platforms (buildx --platform); none is
	// linux/amd64, the bootstraps' own default.
	Platforms []ocispecs.Platform
	// MultiPlatform asks for a result keyed by platform even for one
	// (BuildKit's multi-platform option: buildx sets it when it spreads
	// several platforms over the nodes of a builder, each node getting
	// its own, so that each exports into its platform's directory).
	MultiPlatform bool
}

// ParseConfig reads the options BuildKit hands the frontend.
func ParseConfig(opts map[string]string) (Config, error) {
	var c Config
	for _, key := range []string{optTarget, optExport} {
		c.Exports = append(c.Exports, splitList(opts[key])...)
	}
	v := opts[optBuildroot]
	if a, ok := opts["build-arg:OSBUILDKIT_BUILDROOT"]; ok {
		v = a
	}
	var err error
	if c.Buildroot, err = ParseBuildroot(v); err != nil {
		return c, fmt.Errorf("frontend option buildroot: %w", err)
	}
	switch opts[optLayout] {
	case "", "flat":
	case "by-name":
		c.Layout = llb.ByName
	case "containerdisk":
		c.Layout = llb.ContainerDisk
	default:
		return c, fmt.Errorf("frontend option layout=%q: use flat, by-name or containerdisk", opts[optLayout])
	}
	// buildx passes only build args through its own flags.
	if v := opts["build-arg:OSBUILDKIT_LAYOUT"]; v == "containerdisk" {
		c.Layout = llb.ContainerDisk
	}
	if v, ok := opts[optNoCache]; ok {
		if v == "" {
			c.NoCacheAll = true
		}
		c.NoCache = splitList(v)
	}
	c.Proxy = proxyFromBuildArgs(opts)
	if c.Platforms, err = ParsePlatforms(opts["platform"]); err != nil {
		return c, fmt.Errorf("frontend option platform: %w", err)
	}
	if c.MultiPlatform, err = multiPlatform(opts, len(c.Platforms)); err != nil {
		return c, err
	}
	if sbomRequested(opts) {
		c.SBOM = llb.SBOMAttest
	}
	if c.SourceTimeout, err = timeoutOption(opts, optSourceTimeout, "OSBUILDKIT_SOURCE_TIMEOUT"); err != nil {
		return c, err
	}
	if c.StageTimeout, err = timeoutOption(opts, optStageTimeout, "OSBUILDKIT_STAGE_TIMEOUT"); err != nil {
		return c, err
	}
	return c, nil
}

// timeoutOption reads a duration given as a frontend option or, for buildx,
// a build arg; zero when neither is given.
func timeoutOption(opts map[string]string, key, buildArg string) (time.Duration, error) {
	var d time.Duration
	for _, k := range []string{key, "build-arg:" + buildArg} {
		v, ok := opts[k]
		if !ok {
			continue
		}
		var err error
		if d, err = ParseTimeout(v); err != nil {
			return 0, fmt.Errorf("frontend option %s: %w", strings.TrimPrefix(k, "build-arg:"), err)
		}
	}
	return d, nil
}

// ParseTimeout reads a positive Go duration such as 90s or 30m.
func ParseTimeout(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q: use a positive duration such as 90s or 30m", v)
	}
	return d, nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// proxyFromBuildArgs takes the proxy build args (--build-arg http_proxy=…),
// which BuildKit keeps out of cache keys, as Dockerfile builds do.
func proxyFromBuildArgs(opts map[string]string) *bkllb.ProxyEnv {
	get := func(name string) string {
		if v, ok := opts["build-arg:"+name]; ok {
			return v
		}
		return opts["build-arg:"+strings.ToUpper(name)]
	}
	p := bkllb.ProxyEnv{
		HTTPProxy:  get("http_proxy"),
		HTTPSProxy: get("https_proxy"),
		FTPProxy:   get("ftp_proxy"),
		NoProxy:    get("no_proxy"),
		AllProxy:   get("all_proxy"),
	}
	if p == (bkllb.ProxyEnv{}) {
		return nil
	}
	return &p
}

// sbomRequested says whether the build asks for an SBOM attestation
// (attest:sbom, which buildx's --sbom=true and --attest type=sbom set,
// unless disabled=true). The frontend answers it with its own SBOM, so
// BuildKit does not run its scanner image.
func sbomRequested(opts map[string]string) bool {
	v, ok := opts["attest:sbom"]
	if !ok {
		return false
	}
	for _, kv := range strings.Split(v, ",") {
		if k, val, _ := strings.Cut(strings.TrimSpace(kv), "="); k == "disabled" && val == "true" {
			return false
		}
	}
	return true
}
