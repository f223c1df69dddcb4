package stages

import (
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// org.osbuild.debootstrap (alias
// org.osbuild.debian.debootstrap): bootstrap a Debian tree. It runs
// mmdebstrap, which builds the same tree as debootstrap faster (see
// docs/debootstrap.md), in the host buildroot with the network on, as root
// but without mounts: the sandbox needs no privilege. "exclude" removes
// packages that apt would install (mmdebstrap's "pkg-"); Essential
// packages cannot be excluded.
//
// The package lists mmdebstrap downloaded are handed to the apt stage's
// lists cache, so an apt stage after it does not download them again.
//
// Afterwards /etc/hosts and /etc/resolv.conf are written with file
// operations (inside the sandbox they are BuildKit's) and the build
// sandbox's /etc/hostname is removed.
func init() {
	Define(Definition[debootstrapOptions]{Type: "org.osbuild.debootstrap", Plan: planDebootstrap, Run: runDebootstrap, Resolve: resolveDebootstrap})
}

// DefaultMirror is where Debian comes from unless the manifest says.
const DefaultMirror = "http://deb.debian.org/debian"

type debootstrapOptions struct {
	Suite      string   `json:"suite"`
	Mirror     string   `json:"mirror"`
	Variant    string   `json:"variant"`
	Arch       string   `json:"arch"`
	Components []string `json:"components"`
	Include    []string `json:"include"`
	Exclude    []string `json:"exclude"`
	Keyring    string   `json:"keyring"`
	MergedUsr  *bool    `json:"merged-usr"`
	AptProxy   string   `json:"apt-proxy"`
}

// knownSuites are the Debian releases (and aliases) a bootstrap can name;
// anything else is most likely a typo.
var knownSuites = []string{
	"buster", "bullseye", "bookworm", "trixie", "forky", "sid",
	"oldoldstable", "oldstable", "stable", "testing", "unstable", "experimental",
}

const hostsFile = "127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\nff02::1\t\tip6-allnodes\nff02::2\t\tip6-allrouters\n"

const resolvConf = "# Written by osbuildkit. The system's network configuration (DHCP,\n# systemd-resolved, ifupdown) provides the name servers at boot.\n"

func planDebootstrap(c *Context, o *debootstrapOptions) (*Plan, error) {
	if !slices.Contains(knownSuites, o.Suite) {
		msg := fmt.Sprintf("unknown Debian suite %q", o.Suite)
		if s := manifest.Suggest(o.Suite, knownSuites); len(s) > 0 {
			msg += fmt.Sprintf("; did you mean %q?", s[0])
		}
		return nil, c.OptionError(manifest.Path{"suite"}, "%s (known: %s)", msg, strings.Join(knownSuites, ", "))
	}
	// What mmdebstrap installs follows from the options and the suite's
	// signed index.
	ex := &Exec{Root: RootBuildroot, Network: true,
		ResolveKeys: []string{strings.TrimSuffix(o.mirror(), "/") + "/dists/" + o.Suite + "/InRelease"},
		Caches:      []Cache{aptListsCache(listsHandOver)}}
	if c.Input("packages") != nil {
		ex = &Exec{Root: RootBuildroot, Scratch: true}
	}
	// mmdebstrap runs in the bootstrap buildroot, which the other host
	// tools are installed beside.
	ex.Bootstrap, ex.Bulk = true, true
	return &Plan{
		Exec: ex,
		Files: []FileAction{
			{Mkdir: &Mkdir{Path: "/etc", Mode: 0o755, Parents: true}},
			{Rm: &Rm{Path: "/etc/hosts", AllowNotFound: true}},
			{Mkfile: &Mkfile{Path: "/etc/hosts", Mode: 0o644, Data: []byte(hostsFile)}},
			{Rm: &Rm{Path: "/etc/resolv.conf", AllowNotFound: true}},
			{Mkfile: &Mkfile{Path: "/etc/resolv.conf", Mode: 0o644, Data: []byte(resolvConf)}},
			{Rm: &Rm{Path: "/etc/hostname", AllowNotFound: true}},
		},
	}, nil
}

func runDebootstrap(rt *Runtime, o *debootstrapOptions) error {
	rt.Env = withDpkgUnsafeIO(rt.Env)
	if err := canRun(rt, o.Arch); err != nil {
		return err
	}
	if err := bootstrap(rt, o); err != nil {
		return err
	}
	if rt.SourceEpoch != nil {
		return deferHostKeys(rt)
	}
	return nil
}

// canRun checks, before anything is downloaded, that this builder can run
// programs of arch, a foreign architecture's through a binfmt_misc
// handler; arch-test (in the buildroot) runs a tiny program of it.
func canRun(rt *Runtime, arch string) error {
	if arch == "" || arch == debianArch(runtime.GOARCH) {
		return nil
	}
	out, err := rt.Output("arch-test", arch)
	if err == nil {
		return nil
	}
	return fmt.Errorf("this builder cannot run %s programs (arch-test: %s): register qemu-user-static's binfmt_misc handlers on the BuildKit host "+
		"(Debian: apt-get install qemu-user-static binfmt-support, then update-binfmts --enable qemu-%s; make env does this), "+
		"or build on a node of that architecture (README, Architectures)", arch, strings.TrimSpace(string(out)), qemuArch(arch))
}

// debianArch is Debian's name of a Go architecture.
func debianArch(goarch string) string {
	switch goarch {
	case "386":
		return "i386"
	case "arm":
		return "armhf"
	case "ppc64le":
		return "ppc64el"
	case "mips64le":
		return "mips64el"
	}
	return goarch
}

// qemuArch is QEMU's name of a Debian architecture.
func qemuArch(arch string) string {
	switch arch {
	case "arm64":
		return "aarch64"
	case "armel", "armhf":
		return "arm"
	case "amd64":
		return "x86_64"
	case "ppc64el":
		return "ppc64le"
	}
	return arch
}

// bootstrap runs mmdebstrap from the mirror, or from the locked packages.
func bootstrap(rt *Runtime, o *debootstrapOptions) error {
	debs, err := rt.lockedDebs()
	if err != nil {
		return err
	}
	if len(debs) == 0 {
		return rt.Run("mmdebstrap", append([]string{handOverLists}, mmdebstrapArgs(o, rt.Tree, o.mirror())...)...)
	}
	repo := filepath.Join(ScratchDir, "debs")
	if err := writeLocalRepo(repo, o.Suite, debs); err != nil {
		return err
	}
	rt.Logf("installing the %d locked packages of the packages input from a local repository, with the network off", len(debs))
	if err := rt.Run("mmdebstrap", mmdebstrapArgs(o, rt.Tree, "deb [trusted=yes] copy://"+repo+" ./")...); err != nil {
		return err
	}
	// What mmdebstrap writes for the mirror (with Debian's keyring, which
	// the buildroot trusts, it adds no signed-by).
	list := fmt.Sprintf("deb %s %s %s\n", o.mirror(), o.Suite, strings.Join(o.components(), " "))
	return rt.WriteFile("/etc/apt/sources.list", []byte(list), 0o644)
}

// listsHandOver is where the bootstrap leaves the package lists it
// downloaded: the apt stage's lists cache (aptListsCache), so that the
// apt stage's update finds them current and downloads none again.
const listsHandOver = "/run/osbuild/apt-lists"

// handOverLists is mmdebstrap's hook that copies its package lists to
// listsHandOver before it cleans them out of the tree (the tree is the
// same as without it).
const handOverLists = "--customize-hook=find \"$1/var/lib/apt/lists\" -maxdepth 1 -type f -name '*_*' -exec cp -p -t " + listsHandOver + " {} +"

// resolveDebootstrap bootstraps the tree from the mirror, keeping apt's
// package lists, and reads back what was installed and where each
// package came from.
func resolveDebootstrap(rt *Runtime, o *debootstrapOptions) ([]LockedPackage, error) {
	rt.Env = withDpkgUnsafeIO(rt.Env)
	args := append([]string{"--skip=cleanup/apt/lists"}, mmdebstrapArgs(o, rt.Tree, o.mirror())...)
	if err := rt.Run("mmdebstrap", args...); err != nil {
		return nil, err
	}
	in := func(name string, args ...string) ([]byte, error) {
		return rt.Output("chroot", append([]string{rt.Tree, name}, args...)...)
	}
	out, err := in("dpkg-query", "-W", "-f", "${Package}:${Architecture}=${Version}\n")
	if err != nil {
		return nil, err
	}
	uris, err := in("apt-get", append([]string{"download", "--print-uris"}, strings.Fields(string(out))...)...)
	if err != nil {
		return nil, err
	}
	pkgs, err := parsePrintURIs(uris)
	if err != nil {
		return nil, err
	}
	return pkgs, addArchiveFields(pkgs, func(args ...string) ([]byte, error) { return in("apt-cache", args...) })
}

func (o *debootstrapOptions) mirror() string {
	if o.Mirror == "" {
		return DefaultMirror
	}
	return o.Mirror
}

func (o *debootstrapOptions) components() []string {
	if len(o.Components) == 0 {
		return []string{"main"}
	}
	return o.Components
}

// mmdebstrapArgs runs mmdebstrap as root without mounting anything in the
// target (--skip=chroot/mount): maintainer scripts run without /proc,
// which the essential and minbase package sets accept.
func mmdebstrapArgs(o *debootstrapOptions, target, mirror string) []string {
	variant := o.Variant
	if variant == "" {
		variant = "minbase"
	}
	args := []string{"--mode=root", "--skip=chroot/mount", "--format=directory", "--variant=" + variant,
		"--components=" + strings.Join(o.components(), ",")}
	if o.Arch != "" {
		// A foreign architecture's binaries run through the host's
		// binfmt_misc handler (qemu-user-static, registered with the F
		// flag, so nothing is copied into the tree): mmdebstrap need not
		// find the emulator in the buildroot.
		args = append(args, "--architectures="+o.Arch, "--skip=check/qemu")
	}
	include := append([]string(nil), o.Include...)
	for _, x := range o.Exclude {
		include = append(include, x+"-")
	}
	if len(include) > 0 {
		args = append(args, "--include="+strings.Join(include, ","))
	}
	if o.Keyring != "" {
		args = append(args, "--keyring="+o.Keyring)
	}
	// The merged-usr hook gives debootstrap's package set (usr-is-merged
	// rather than usrmerge, which drags perl in).
	if o.MergedUsr != nil && !*o.MergedUsr {
		args = append(args, "--hook-dir=/usr/share/mmdebstrap/hooks/no-merged-usr")
	} else {
		args = append(args, "--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr")
	}
	if o.AptProxy != "" {
		args = append(args, fmt.Sprintf("--aptopt=Acquire::http::Proxy %q", o.AptProxy))
	}
	return append(args, o.Suite, target, mirror)
}
