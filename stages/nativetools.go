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
// afterwards (withStandIns).
func withNativeTools(rt *Runtime, programs []string, what string, fn func() error) error {
	if !foreignTree(rt) {
		return fn()
	}
	return withStandIns(rt, programs, fmt.Sprintf("%s of the foreign tree run natively %s", strings.Join(programs, ", "), what), fn)
}

// initramfsCompressor is the tree's gzip, through which mkinitramfs pipes
// the initramfs: in every tree, native or foreign, its stand-in
// compresses on every core (package standin's gzip).
const initramfsCompressor = "/usr/bin/gzip"

// withInitramfsTools runs fn, which makes an initramfs, with the
// compressor's stand-in in place, and in a foreign tree the per-file
// programs' too: one set of stand-ins, put in and taken out once.
func withInitramfsTools(rt *Runtime, fn func() error) error {
	if !foreignTree(rt) {
		return withStandIns(rt, []string{initramfsCompressor}, "the initramfs is compressed on every core (a stand-in for gzip)", fn)
	}
	programs := append(initramfsStandIns(), initramfsCompressor)
	return withStandIns(rt, programs, fmt.Sprintf("%s of the foreign tree run natively while its initramfs is made", strings.Join(programs, ", ")), fn)
}

// withStandIns runs fn with the native stand-ins for programs in place,
// says so in the log, and restores the tree afterwards: its programs, and
// their directory's times if nothing else changed it. A program a package
// replaced meanwhile is the package's.
func withStandIns(rt *Runtime, programs []string, what string, fn func() error) error {
	var paths []string
	for _, name := range programs {
		p, err := rt.Path(name)
		if err != nil {
			return err
		}
		paths = append(paths, p)
	}
	s, err := installStandIns(paths, standInScript())
	if err != nil {
		return fmt.Errorf("putting native stand-ins in the tree: %w", err)
	}
	rt.Logf("osbuildkit: %s", what)
	err = fn()
	return errors.Join(err, s.restore())
}

// standIns are stand-ins in place: what restore needs.
type standIns struct {
	Paths  []string
	Script []byte
	Dirs   []dirTimes
}

// dirTimes puts a directory's times back after the stand-ins in it are
// gone, unless something else changed it meanwhile (a package's files).
type dirTimes struct {
	Dir       string
	Before    [2]unix.Timespec
	Installed unix.Timespec
}

// installStandIns replaces each of paths (set aside at standin.Original)
// with script. On failure it undoes itself.
func installStandIns(paths []string, script []byte) (*standIns, error) {
	s := &standIns{Script: script}
	seen := map[string]bool{}
	for _, p := range paths {
		if dir := filepath.Dir(p); !seen[dir] {
			seen[dir] = true
			s.Dirs = append(s.Dirs, dirTimes{Dir: dir})
		}
	}
	for i := range s.Dirs {
		var st unix.Stat_t
		if err := unix.Lstat(s.Dirs[i].Dir, &st); err != nil {
			return nil, err
		}
		s.Dirs[i].Before = [2]unix.Timespec{st.Atim, st.Mtim}
	}
	for _, p := range paths {
		_, err := os.Lstat(p)
		setAside := err == nil
		if setAside {
			if err := os.Rename(p, standin.Original(p)); err != nil {
				return nil, errors.Join(err, s.restore())
			}
		}
		if err := os.WriteFile(p, script, 0o755); err != nil {
			if setAside {
				err = errors.Join(err, os.Rename(standin.Original(p), p))
			}
			return nil, errors.Join(err, s.restore())
		}
		s.Paths = append(s.Paths, p)
	}
	return s, s.markInstalled()
}

// markInstalled records the directories' times with everything in place.
func (s *standIns) markInstalled() error {
	for i := range s.Dirs {
		var st unix.Stat_t
		if err := unix.Lstat(s.Dirs[i].Dir, &st); err != nil {
			return errors.Join(err, s.restore())
		}
		s.Dirs[i].Installed = st.Mtim
	}
	return nil
}

// restore puts the tree's programs back: a stand-in still in place goes
// and the program set aside returns; where a package installed its own
// program meanwhile, the one set aside goes.
func (s *standIns) restore() error {
	changed := make([]bool, len(s.Dirs))
	for i, d := range s.Dirs {
		var st unix.Stat_t
		changed[i] = unix.Lstat(d.Dir, &st) != nil || st.Mtim != d.Installed
	}
	var errs []error
	for _, p := range s.Paths {
		orig := standin.Original(p)
		if b, err := os.ReadFile(p); err != nil || !bytes.Equal(b, s.Script) {
			// A package's program (or its removal) stands.
			if err := os.Remove(orig); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
			continue
		}
		errs = append(errs, os.Remove(p))
		if err := os.Rename(orig, p); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	for i, d := range s.Dirs {
		if !changed[i] {
			errs = append(errs, unix.UtimesNanoAt(unix.AT_FDCWD, d.Dir, d.Before[:], unix.AT_SYMLINK_NOFOLLOW))
		}
	}
	return errors.Join(errs...)
}

// standInScript is the content of every stand-in.
func standInScript() []byte {
	if _, err := os.Stat(NativeHelper); err == nil {
		return []byte("#!" + NativeHelper + "\n")
	}
	return []byte(fmt.Sprintf("#!%s %s\n", HelperPath, NativeCommand))
}
