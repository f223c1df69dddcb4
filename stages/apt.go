package stages

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// org.osbuild.apt: install Debian packages into the tree with the
// tree's own apt, the tree being the sandbox's root filesystem (the
// sandbox provides /proc, /sys and /dev; no privilege is needed).
//
// Downloaded packages and package lists live in BuildKit cache mounts,
// shared across builds and never part of the tree. Services are not
// started (policy-rc.d), and the initramfs is built once at the end rather
// than once per trigger. Unknown package names fail before anything is
// installed, with the closest names the archive has. A package of another
// architecture (libc6:i386) has that architecture added to dpkg first. In
// a foreign tree, dpkg's and mkinitramfs's busiest programs run natively
// (nativetools.go).
func init() {
	Define(Definition[aptOptions]{Type: "org.osbuild.apt", Plan: planApt, Run: runApt, Resolve: resolveApt})
}

type aptOptions struct {
	Packages          []string  `json:"packages"`
	InstallRecommends bool      `json:"install_recommends"`
	Update            *bool     `json:"update"`
	Upgrade           bool      `json:"upgrade"`
	Keys              []string  `json:"keys"`
	Pin               []aptPin  `json:"pin"`
	Hold              []string  `json:"hold"`
	AptProxy          string    `json:"apt-proxy"`
	Repositories      []aptRepo `json:"repositories"`
}

type aptRepo struct {
	Name       string   `json:"name"`
	URL        string   `json:"url"`
	Suite      string   `json:"suite"`
	Components []string `json:"components"`
	SignedBy   string   `json:"signed-by"`
}

type aptPin struct {
	Package  string `json:"package"`
	Pin      string `json:"pin"`
	Priority int    `json:"priority"`
}

func planApt(c *Context, _ *aptOptions) (*Plan, error) {
	if c.Input("packages") != nil {
		return &Plan{Exec: &Exec{Root: RootTree, Scratch: true, NativeShell: true, Bulk: true}}, nil
	}
	return &Plan{Exec: &Exec{
		Root:        RootTree,
		Network:     true,
		NativeShell: true,
		Bulk:        true,
		Caches: []Cache{
			{ID: "apt-archives", Target: "/var/cache/apt/archives", Locked: true},
			aptListsCache("/var/lib/apt/lists"),
		},
	}}, nil
}

// aptListsCache is the package lists' cache mount at target, which the
// apt stages and the bootstrap share.
func aptListsCache(target string) Cache {
	return Cache{ID: "apt-lists", Target: target, Locked: true}
}

func runApt(rt *Runtime, o *aptOptions) error {
	rt.Env = withDpkgUnsafeIO(rt.Env)
	a := &aptRun{rt: rt, o: o}
	return a.run()
}

type aptRun struct {
	rt *Runtime
	o  *aptOptions
	// extra are apt options of a locked install or a resolve: where the
	// lists, the packages and the sources are.
	extra []string
	// locked is set when the packages come from the stage's input.
	locked bool
}

func (a *aptRun) run() error {
	if err := a.configure(); err != nil {
		return err
	}
	if err := a.useLockedPackages(); err != nil {
		return err
	}
	// Installing systemd fills an empty /etc/machine-id; every image built
	// from the tree would then share one ID. Keep it empty, so systemd
	// generates one at first boot (org.osbuild.machine-id chooses otherwise).
	if id, err := os.ReadFile("/etc/machine-id"); err != nil || len(id) == 0 {
		defer func() {
			if id, err := os.ReadFile("/etc/machine-id"); err == nil && len(id) > 0 {
				os.WriteFile("/etc/machine-id", nil, 0o444)
			}
		}()
	}
	restore, err := a.quiesce()
	if err != nil {
		return err
	}
	defer restore()
	if a.locked || a.o.Update == nil || *a.o.Update {
		if err := a.aptGet("update"); err != nil {
			return err
		}
	}
	if err := a.checkPackages(); err != nil {
		return err
	}
	err = withNativeTools(a.rt, dpkgStandIns, "while packages are unpacked", func() error {
		if a.o.Upgrade {
			if err := a.aptGet("dist-upgrade"); err != nil {
				return err
			}
		}
		return a.aptGet(append([]string{"install"}, a.o.Packages...)...)
	})
	if err != nil {
		return err
	}
	if len(a.o.Hold) > 0 {
		if err := a.rt.Run("apt-mark", append([]string{"hold"}, a.o.Hold...)...); err != nil {
			return err
		}
	}
	if err := restore(); err != nil {
		return err
	}
	// The package caches are BuildKit cache mounts; what is left in the
	// tree is apt's binary caches.
	for _, f := range []string{"/var/cache/apt/pkgcache.bin", "/var/cache/apt/srcpkgcache.bin"} {
		os.Remove(f)
	}
	if a.rt.SourceEpoch != nil {
		removeUnreproducible(a.rt)
		return deferHostKeys(a.rt)
	}
	return nil
}

// dpkgUnsafeIO makes dpkg skip its fsync calls (as mkosi has it): the
// sandbox's writes become BuildKit's snapshot when the step ends, and a
// crash in between loses the step, never a half-written tree. DPKG_FORCE
// replaces dpkg's default force flags, so the two defaults are kept. It
// leaves nothing in the tree, as dpkg.cfg.d would.
const dpkgUnsafeIO = "DPKG_FORCE=unsafe-io,downgrade,security-mac"

// withDpkgUnsafeIO is env (nil: the process's) with dpkgUnsafeIO.
func withDpkgUnsafeIO(env []string) []string {
	if env == nil {
		env = os.Environ()
	}
	return append(env, dpkgUnsafeIO)
}

const deferredInitramfs = "/var/lib/osbuildkit/initramfs-requested"

// quiesce stops services from starting and defers initramfs builds; the
// returned function undoes both and builds the initramfs once if any
// package asked for it. It is safe to call twice.
func (a *aptRun) quiesce() (func() error, error) {
	if err := a.rt.WriteFile("/usr/sbin/policy-rc.d", []byte("#!/bin/sh\nexit 101\n"), 0o755); err != nil {
		return nil, err
	}
	if err := a.rt.Run("dpkg-divert", "--quiet", "--local", "--rename", "--add", "/usr/sbin/update-initramfs"); err != nil {
		return nil, err
	}
	stub := "#!/bin/sh\nmkdir -p " + filepath.Dir(deferredInitramfs) + " && touch " + deferredInitramfs + "\necho \"osbuildkit: update-initramfs $* deferred to the end of the stage\"\n"
	if err := a.rt.WriteFile("/usr/sbin/update-initramfs", []byte(stub), 0o755); err != nil {
		return nil, err
	}
	done := false
	return func() error {
		if done {
			return nil
		}
		done = true
		os.Remove("/usr/sbin/policy-rc.d")
		os.Remove("/usr/sbin/update-initramfs")
		if err := a.rt.Run("dpkg-divert", "--quiet", "--local", "--rename", "--remove", "/usr/sbin/update-initramfs"); err != nil {
			return err
		}
		if _, err := os.Stat(deferredInitramfs); err != nil {
			return nil
		}
		os.RemoveAll(filepath.Dir(deferredInitramfs))
		return a.buildInitramfs()
	}, nil
}

// buildInitramfs creates or updates the initramfs of every installed kernel.
func (a *aptRun) buildInitramfs() error {
	kernels, _ := filepath.Glob("/lib/modules/*")
	sort.Strings(kernels)
	for _, k := range kernels {
		v := filepath.Base(k)
		mode := "-c"
		if _, err := os.Stat("/boot/initrd.img-" + v); err == nil {
			mode = "-u"
		}
		if _, err := os.Stat("/boot/vmlinuz-" + v); err != nil {
			continue
		}
		err := withInitramfsTools(a.rt, func() error { return updateInitramfs(a.rt, mode, "-k", v) })
		if err != nil {
			return err
		}
	}
	return nil
}

// checkPackages fails, before installing anything, on package names the
// archive does not have, suggesting the closest ones.
func (a *aptRun) checkPackages() error {
	out, err := a.rt.Output("apt-cache", append(slices.Clone(a.extra), "pkgnames")...)
	if err != nil {
		return err
	}
	known := strings.Fields(string(out))
	set := make(map[string]bool, len(known))
	for _, k := range known {
		set[k] = true
	}
	var problems []string
	for _, p := range a.o.Packages {
		name := packageName(p)
		if name == "" || set[name] {
			continue
		}
		msg := fmt.Sprintf("unknown package %q", name)
		if other := archInName(name); other != "" {
			if arch, _ := treeArch(a.rt); arch != "" && arch != other {
				msg = fmt.Sprintf("package %q is for %s, and this tree is %s", name, other, arch)
			}
		}
		if s := manifest.Suggest(name, known); len(s) > 0 {
			msg += fmt.Sprintf(" (did you mean %q?)", s[0])
		}
		problems = append(problems, msg)
	}
	if len(problems) > 0 && a.locked {
		return fmt.Errorf("%s: not among the stage's locked packages (the manifest changed after it was locked; run osbuildkit lock again)", strings.Join(problems, "; "))
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}
