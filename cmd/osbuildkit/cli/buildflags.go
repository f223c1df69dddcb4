package cli

import (
	"flag"
	"fmt"
	"strings"

	bkbuild "github.com/moby/buildkit/cmd/buildctl/build"

	"github.com/osbuildkit/osbuildkit/frontend"
	"github.com/osbuildkit/osbuildkit/llb"
	"github.com/osbuildkit/osbuildkit/localbuild"
)

type buildFlags struct {
	addr, outputDir, progress, monitor, buildroot, push, platform string
	exports, cacheFromSpecs, cacheToSpecs, allow, noCacheStage    stringList
	checkpoints                                                   stringList
	cacheMaxSize, stageTimeout, sourceTimeout, store, breakAt     string
	asJSON, noCache, sbom                                         bool
}

func (f *buildFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.addr, "addr", "", "BuildKit daemon `address` (default $BUILDKIT_HOST, else the default socket, else the daemon `make env` started)")
	fs.StringVar(&f.outputDir, "output-directory", "", "write each export to `DIR`/PIPELINE")
	fs.Var(&f.exports, "export", "`pipeline` to export (repeatable; default: the manifest's exports)")
	fs.StringVar(&f.progress, "progress", "auto", "progress `mode`: auto, tty, plain, quiet or rawjson")
	fs.StringVar(&f.monitor, "monitor", "", "osbuild `monitor`: JSONSeqMonitor streams JSON-seq records on stdout")
	fs.StringVar(&f.platform, "platform", "", "target `platforms`, comma-separated (linux/amd64, linux/arm64, …): one sets the architecture of bootstraps that name none; several build the manifest once per platform into DIR/linux_ARCH/PIPELINE")
	fs.StringVar(&f.push, "push", "", "push the export's disk image file to `REF` as an OCI artifact")
	fs.StringVar(&f.buildroot, "buildroot", "", "host buildroot `images`: one image for every stage, or BOOTSTRAP,HOST (bootstraps run in the first), or build (debian:bookworm plus tools, built in the build); default: the prebuilt images this binary was built with, if any, else build")
	fs.Var(&f.cacheFromSpecs, "cache-from", "import build cache from `SPEC`, e.g. type=registry,ref=REF (repeatable)")
	fs.Var(&f.cacheToSpecs, "cache-to", "export build cache to `SPEC`, e.g. type=registry,ref=REF,mode=max (repeatable)")
	fs.Var(&f.allow, "allow", "grant an `entitlement`: security.insecure (repeatable)")
	fs.Var(&f.noCacheStage, "no-cache-stage", "re-run a `stage`: pipeline name, stage type or stage ID (repeatable)")
	fs.BoolVar(&f.noCache, "no-cache", false, "re-run every step")
	fs.StringVar(&f.breakAt, "break", "", "stop before a `stage` (pipeline name, stage type or stage ID) with a shell where it runs, or on-error: in the step that failed; needs a terminal")
	fs.BoolVar(&f.asJSON, "json", false, "print osbuild's result object on stdout")
	fs.BoolVar(&f.sbom, "sbom", false, "write each export's SPDX SBOM beside it: DIR/PIPELINE/FILE.spdx.json (sbom.spdx.json for a tree); --push implies it and attaches it to the artifact as a referrer")
	fs.Var(&f.checkpoints, "checkpoint", "osbuild compatibility: every `stage` is cached by BuildKit anyway (accepted, no effect)")
	fs.StringVar(&f.cacheMaxSize, "cache-max-size", "", "osbuild compatibility: BuildKit's cache `size` is set on the daemon (accepted, no effect)")
	fs.StringVar(&f.store, "store", "", "osbuild compatibility: BuildKit keeps its own store `DIR` (accepted, no effect)")
	fs.StringVar(&f.store, "cache", "", "osbuild compatibility: alias of --store `DIR`")
	fs.StringVar(&f.stageTimeout, "stage-timeout", "", "cancel the build when one stage runs longer than this `duration` (e.g. 30m)")
	fs.StringVar(&f.sourceTimeout, "source-timeout", "", "fail a download that has not completed after this `duration` (default 10m)")
}

// parse checks and converts the flags, before any work.
func (f *buildFlags) parse() (localbuild.Options, error) {
	opt := localbuild.Options{Addr: f.addr, OutputDir: f.outputDir, Allow: f.allow}
	if f.monitor != "" && f.monitor != "JSONSeqMonitor" && f.monitor != "NullMonitor" && f.monitor != "LogMonitor" {
		return opt, fmt.Errorf("--monitor %q: use JSONSeqMonitor, LogMonitor or NullMonitor", f.monitor)
	}
	for _, a := range f.allow {
		if a != "security.insecure" && a != "network.host" {
			return opt, fmt.Errorf("--allow %q: osbuildkit stages use only security.insecure", a)
		}
	}
	// The frontend's own option parser reads the timeouts, as it does
	// buildctl's --opt and buildx's --build-arg.
	fopts := map[string]string{}
	if f.stageTimeout != "" {
		fopts["stage-timeout"] = f.stageTimeout
	}
	if f.sourceTimeout != "" {
		fopts["source-timeout"] = f.sourceTimeout
	}
	if f.platform != "" {
		fopts["platform"] = f.platform
	}
	if f.buildroot != "" {
		fopts["buildroot"] = f.buildroot
	}
	cfg, err := frontend.ParseConfig(fopts)
	if err != nil {
		// "frontend option stage-timeout: …" as "--stage-timeout …"
		return opt, fmt.Errorf("--%s", strings.Replace(strings.TrimPrefix(err.Error(), "frontend option "), ": ", " ", 1))
	}
	cfg.Exports, cfg.NoCache, cfg.NoCacheAll = f.exports, f.noCacheStage, f.noCache
	if f.sbom || f.push != "" {
		cfg.SBOM = llb.SBOMBeside // a pushed disk carries its SBOM
	}
	opt.Frontend = cfg
	if opt.CacheTo, err = bkbuild.ParseExportCache(registryRefs(f.cacheToSpecs)); err != nil {
		return opt, fmt.Errorf("--cache-to: %w", err)
	}
	if opt.CacheFrom, err = bkbuild.ParseImportCache(registryRefs(f.cacheFromSpecs)); err != nil {
		return opt, fmt.Errorf("--cache-from: %w", err)
	}
	return opt, nil
}

// registryRefs spells a bare reference as buildx reads it (a registry
// cache), so BuildKit's parser takes it without its deprecation warning.
func registryRefs(specs []string) []string {
	out := make([]string, len(specs))
	for i, s := range specs {
		out[i] = s
		if !strings.Contains(s, "=") {
			out[i] = "type=registry,ref=" + s
		}
	}
	return out
}
