package stages

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/osbuildkit/osbuildkit/internal/standin"
)

// Native stand-ins: in a foreign tree (an arm64 tree on an amd64
// builder) every program the tree runs is emulated, and a new emulated
// process costs tens of milliseconds before it does anything. mkinitramfs
// runs realpath, readlink, mkdir, cp and modinfo for each of the thousands
// of kernel modules it copies, dpkg runs dpkg-split and dpkg-deb twice for
// each package (and decompresses it, emulated). For that time these
// programs become scripts interpreted natively by package standin, which
// does what the tree's program would for those arguments and hands
// anything else to it. The tree is put back as it was.

// NativeCommand is the helper's subcommand that interprets a stand-in,
// when the helper's directory has no NativeHelper (a smaller program that
// starts in a tenth of the time: it runs thousands of times).
const (
	NativeCommand = "native"
	NativeHelper  = HelperDir + "/osbuildkit-native"
)

// initramfsStandIns are the programs mkinitramfs runs per file it copies
// (modinfo, in /sbin, is found in /usr/bin first on mkinitramfs's PATH),
// and mkinitramfs itself when the buildroot's shell is there to run it.
func initramfsStandIns() []string {
	programs := []string{"/usr/bin/cp", "/usr/bin/mkdir", "/usr/bin/realpath", "/usr/bin/readlink", "/usr/bin/modinfo"}
	if standin.NativeShell() != nil {
		programs = append(programs, "/usr/sbin/mkinitramfs")
	}
	return programs
}

// dpkgStandIns are the programs dpkg runs for each package it unpacks
// (decompressing it, under emulation, twice).
var dpkgStandIns = []string{"/usr/bin/dpkg-deb", "/usr/bin/dpkg-split"}

// foreignTree says whether the tree's programs are of another architecture
// than the helper's, so that running them means emulation.
func foreignTree(rt *Runtime) bool {
	arch, _ := treeArch(rt)
	return arch != "" && arch != debianArch(runtime.GOARCH)
}

// withNativeTools runs fn with the native stand-ins for programs in place
// when the tree is foreign (else it just runs fn), and restores the tree
// afterwards: its programs, and their directory's times if nothing else
// changed it. A program a package replaced meanwhile is the package's.
func withNativeTools(rt *Runtime, programs []string, what string, fn func() error) error {
	if !foreignTree(rt) {
		return fn()
	}
	restore, err := installNativeTools(rt, programs, what)
	if err != nil {
		return fmt.Errorf("putting native stand-ins in the foreign tree: %w", errors.Join(err, restore()))
	}
	err = fn()
	return errors.Join(err, restore())
}

func installNativeTools(rt *Runtime, programs []string, what string) (func() error, error) {
	script := standInScript()
	var undo []func() error
	dirs := map[string]*dirTimes{}
	restore := func() error {
		for _, d := range dirs {
			d.check()
		}
		var errs []error
		for i := len(undo) - 1; i >= 0; i-- {
			errs = append(errs, undo[i]())
		}
		undo = nil
		for _, d := range dirs {
			errs = append(errs, d.restore())
		}
		dirs = nil
		return errors.Join(errs...)
	}
	for _, name := range programs {
		p, err := rt.Path(name)
		if err != nil {
			return restore, err
		}
		if dir := filepath.Dir(p); dirs[dir] == nil {
			d := &dirTimes{dir: dir}
			if err := unix.Lstat(dir, &d.before); err != nil {
				return restore, err
			}
			dirs[dir] = d
		}
		orig := standin.Original(p)
		if _, err := os.Lstat(p); err == nil {
			if err := os.Rename(p, orig); err != nil {
				return restore, err
			}
			undo = append(undo, func() error {
				if _, err := os.Lstat(p); err == nil {
					return os.Remove(orig) // a package installed its own
				}
				return os.Rename(orig, p)
			})
		}
		if err := os.WriteFile(p, script, 0o755); err != nil {
			return restore, err
		}
		undo = append(undo, func() error {
			if b, err := os.ReadFile(p); err != nil || !bytes.Equal(b, script) {
				return nil
			}
			return os.Remove(p)
		})
	}
	for _, d := range dirs {
		if err := unix.Lstat(d.dir, &d.installed); err != nil {
			return restore, err
		}
	}
	rt.Logf("osbuildkit: %s of the foreign tree run natively %s", strings.Join(programs, ", "), what)
	return restore, nil
}

// dirTimes puts a directory's times back after the stand-ins in it are
// gone, unless something else changed it meanwhile (a package's files).
type dirTimes struct {
	dir               string
	before, installed unix.Stat_t
	changed           bool
}

func (d *dirTimes) check() {
	var now unix.Stat_t
	d.changed = unix.Lstat(d.dir, &now) != nil || now.Mtim != d.installed.Mtim
}

func (d *dirTimes) restore() error {
	if d.changed {
		return nil
	}
	return unix.UtimesNanoAt(unix.AT_FDCWD, d.dir, []unix.Timespec{d.before.Atim, d.before.Mtim}, unix.AT_SYMLINK_NOFOLLOW)
}

// standInScript is the content of every stand-in.
func standInScript() []byte {
	if _, err := os.Stat(NativeHelper); err == nil {
		return []byte("#!" + NativeHelper + "\n")
	}
	return []byte(fmt.Sprintf("#!%s %s\n", HelperPath, NativeCommand))
}
