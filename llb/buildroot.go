package llb

import (
	"context"
	"slices"
	"strings"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/osbuildkit/osbuildkit/stages"
)

// HostBuildrootImage is the base of the host buildroot.
const HostBuildrootImage = "docker.io/library/debian:bookworm"

// HostTools are the Debian packages the host buildroot adds for our stages.
var HostTools = []string{
	"mmdebstrap", "debootstrap", "ca-certificates", "gpg", "arch-test",
	"e2fsprogs", "dosfstools", "mtools", "fdisk", "gdisk", "xfsprogs", "btrfs-progs",
	"qemu-utils", "grub-common", "grub-pc-bin", "grub-efi-amd64-bin",
	"ostree", "tar", "xz-utils", "zstd", "pigz", "pbzip2", "bzip2", "lzip", "lzop", "acl", "attr",
	"util-linux", "mount", "eatmydata",
}

// BootstrapTools are the HostTools a bootstrap needs (mmdebstrap; gpg, with
// which it reads keyrings; the CA certificates apt's https sources read;
// and arch-test, with which mmdebstrap checks it can run a foreign
// architecture's binaries through binfmt_misc): they are installed first,
// in a layer of their own, so org.osbuild.debootstrap starts while the
// other tools install, in parallel with it.
var BootstrapTools = []string{"mmdebstrap", "ca-certificates", "gpg", "arch-test"}

// unpackedTools are the BootstrapTools the buildroot only unpacks (dpkg-deb
// -x), never installs: mmdebstrap declares a dependency on python3, which
// only its mmtarfilter and an apt solver dump run (a bootstrap into a
// directory runs neither). Installing python3 put ~4.5 s on every cold
// build's critical path, or, with the stage tools, slowed the bootstrap
// running beside them. dpkg does not know the unpacked files, so apt stays
// consistent for the installs after it.
var unpackedTools = []string{"mmdebstrap"}

// bootstrapBuildroot is debian:bookworm with BootstrapTools installed (those
// in unpackedTools only unpacked).
func (c *compiler) bootstrapBuildroot() bkllb.State {
	if c.opt.BootstrapBuildroot != nil {
		return *c.opt.BootstrapBuildroot
	}
	if c.opt.Buildroot != nil {
		return *c.opt.Buildroot
	}
	if c.boot == nil {
		base := bkllb.Image(HostBuildrootImage, bkllb.WithCustomName("[buildroot] "+HostBuildrootImage))
		st := c.aptInstall(base, BootstrapTools, unpackedTools, "[buildroot] install bootstrap tools")
		c.boot = &st
		c.steps.boot = c.steps.add("[buildroot] install bootstrap tools", st, nil)
	}
	c.steps.note(c.steps.boot)
	return *c.boot
}

// HostBuildroots are the two host buildroots as osbuildkit builds them
// (debian:bookworm plus BootstrapTools, and that plus the rest of
// HostTools), for `osbuildkit buildroot` to publish as images.
func HostBuildroots(ctx context.Context) (bootstrap, host bkllb.State) {
	c := &compiler{ctx: ctx, steps: newSteps()}
	return c.bootstrapBuildroot(), c.hostBuildroot()
}

// hostBuildroot is the bootstrap buildroot with the rest of HostTools
// installed, built once and then taken from BuildKit's cache.
func (c *compiler) hostBuildroot() bkllb.State {
	if c.opt.Buildroot != nil {
		return *c.opt.Buildroot
	}
	if c.host == nil {
		boot := c.bootstrapBuildroot()
		rest := slices.DeleteFunc(slices.Clone(HostTools), func(t string) bool { return slices.Contains(BootstrapTools, t) })
		st := c.aptInstall(boot, rest, nil, "[buildroot] install stage tools")
		c.host = &st
		c.steps.host = c.steps.add("[buildroot] install stage tools", st, []int{c.steps.boot})
	}
	c.steps.note(c.steps.host)
	return *c.host
}

// aptInstall installs Debian packages into root, without recommends, and
// drops the package lists; those of pkgs in unpack are only unpacked
// (unpackedTools). Neither translations nor dpkg's fsync calls are wanted:
// BuildKit commits the step's snapshot itself (dpkg's unsafe-io, as the apt
// stage uses; 4–5 s less on the bootstrap tools, which every cold build
// waits for). Nor is what apt keeps for next time: its binary caches
// (pkgcache.bin and srcpkgcache.bin, 37 MB each, are not written at all)
// and the .debs it downloaded; they made up 80 MB of each layer, which a
// registry cache export compresses and every builder pulling the prebuilt
// buildroot unpacks.
func (c *compiler) aptInstall(root bkllb.State, pkgs, unpack []string, name string) bkllb.State {
	install := slices.DeleteFunc(slices.Clone(pkgs), func(t string) bool { return slices.Contains(unpack, t) })
	const apt = "apt-get -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= "
	script := "set -e; " + apt + "update -qq -o Acquire::Languages=none; "
	if len(unpack) > 0 {
		script += "cd /tmp; " + apt + "download -qq " + strings.Join(unpack, " ") +
			"; for d in ./*.deb; do dpkg-deb -x \"$d\" /; done; rm ./*.deb; cd /; "
	}
	script += apt + "install -y -qq --no-install-recommends " + strings.Join(install, " ") + " >/dev/null; " +
		apt + "clean; rm -rf /var/lib/apt/lists/*"
	opts := []bkllb.RunOption{
		bkllb.Args([]string{"/bin/sh", "-c", script}),
		bkllb.AddEnv("PATH", stages.ExecPath),
		bkllb.AddEnv("DEBIAN_FRONTEND", "noninteractive"),
		bkllb.AddEnv("DPKG_FORCE", "unsafe-io"),
		bkllb.WithCustomName(name),
	}
	if c.opt.Proxy != nil {
		opts = append(opts, bkllb.WithProxy(*c.opt.Proxy))
	}
	return root.Run(opts...).Root()
}

// toolsBuildroot is the host buildroot with the Debian packages a stage
// asks for beyond HostTools (rpm, squashfs-tools, …; those HostTools has
// are left out): one layer per set of packages, so manifests that do not
// use those stages keep their cache.
func (c *compiler) toolsBuildroot(tools []string) bkllb.State {
	root := c.hostBuildroot()
	tools = slices.DeleteFunc(slices.Clone(tools), func(t string) bool { return slices.Contains(HostTools, t) })
	if len(tools) == 0 {
		return root
	}
	slices.Sort(tools)
	tools = slices.Compact(tools)
	key := strings.Join(tools, " ")
	if t, ok := c.tools[key]; ok {
		c.steps.note(t.step)
		return t.state
	}
	name := "[buildroot] install " + key
	st := c.aptInstall(root, tools, nil, name)
	var after []int
	if c.steps.host >= 0 {
		after = []int{c.steps.host}
	}
	step := c.steps.add(name, st, after)
	c.steps.note(step)
	if c.tools == nil {
		c.tools = map[string]toolsRoot{}
	}
	c.tools[key] = toolsRoot{state: st, step: step}
	return st
}

type toolsRoot struct {
	state bkllb.State
	step  int
}
