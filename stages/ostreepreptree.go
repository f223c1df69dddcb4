package stages

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"
)

// org.osbuild.ostree.preptree: the tree in OSTree's layout, as osbuild's
// stage leaves it (its own moves, then `rpm-ostree compose postprocess`
// with boot-location "new"). Debian has no rpm-ostree, so the helper does
// its postprocessing for a Debian tree (docs/stages.md, OSTree on
// Debian): the one kernel goes to /usr/lib/modules/VERSION/vmlinuz with
// an initramfs made there by the tree's dracut with Debian's ostree
// module (ostree-boot) and initramfs-args; /etc becomes /usr/etc; /var is
// turned into systemd-tmpfiles lines and emptied, the dpkg database kept
// in /usr/lib/sysimage/dpkg; /usr/local, /home and the other top-level
// directories become osbuild's links into /var, /run and /sysroot; the
// rest of the top level goes. passwd and group are split into /usr/lib as
// rpm-ostree does (etc_group_members stay in /etc/group) only when the
// tree has nss-altfiles, which Debian does not package; otherwise they
// stay whole. machine-id is kept empty when the tree had one.
func init() {
	Define(Definition[preptreeOptions]{Type: "org.osbuild.ostree.preptree", Plan: planPreptree, Run: runPreptree})
}

type preptreeOptions struct {
	EtcGroupMembers []string `json:"etc_group_members"`
	InitramfsArgs   []string `json:"initramfs-args"`
	TmpIsDir        *bool    `json:"tmp-is-dir"`
}

// preptreeMounted are the top-level directories the sandbox mounts
// things in (BuildKit's /etc/hosts and /etc/resolv.conf, /proc, /sys,
// /dev, the helper under /run/osbuild): file operations after the helper
// move /etc to /usr/etc and make the others empty, as osbuild does.
var preptreeMounted = []string{"etc", "dev", "proc", "run", "sys"}

// preptreeKept are what osbuild moves back into the new root.
var preptreeKept = []string{"usr", "boot", "var", "home", "bin", "lib", "lib32", "lib64", "sbin"}

// preptreeLinks are osbuild's top-level links (rpm-ostree's).
var preptreeLinks = [][2]string{
	{"home", "var/home"}, {"media", "run/media"}, {"mnt", "var/mnt"}, {"opt", "var/opt"},
	{"ostree", "sysroot/ostree"}, {"root", "var/roothome"}, {"srv", "var/srv"},
}

func planPreptree(*Context, *preptreeOptions) (*Plan, error) {
	p := &Plan{Exec: &Exec{Root: RootTree}}
	p.Files = append(p.Files, FileAction{Copy: &Copy{Src: "/etc", Dest: "/usr/etc", ContentsOnly: true}},
		FileAction{Rm: &Rm{Path: "/etc"}})
	for _, d := range preptreeMounted[1:] {
		p.Files = append(p.Files,
			FileAction{Rm: &Rm{Path: "/" + d, AllowNotFound: true}},
			FileAction{Mkdir: &Mkdir{Path: "/" + d, Mode: 0o755}})
	}
	return p, nil
}

func runPreptree(rt *Runtime, o *preptreeOptions) error {
	if _, err := os.Lstat(filepath.Join(rt.Tree, "usr/etc")); err == nil {
		return errors.New("the tree is in OSTree's layout already (/usr/etc exists): run org.osbuild.ostree.preptree once, on a plain tree")
	}
	compat := exists(filepath.Join(rt.Tree, "etc/machine-id"))
	rt.Logf("ostree: machineid-compat: %v", compat)
	steps := []struct {
		what string
		do   func() error
	}{
		{"moving the kernel and making its initramfs", func() error { return preptreeKernel(rt, o.InitramfsArgs) }},
		{"splitting passwd and group", func() error { return preptreeUsers(rt, o.EtcGroupMembers) }},
		{"machine-id", func() error { return preptreeMachineID(rt.Tree, compat) }},
		{"moving /usr/local, the dpkg database and /home", func() error { return preptreeMoves(rt) }},
		{"turning /var into tmpfiles.d lines", func() error { return preptreeVar(rt) }},
		{"making the new top level", func() error { return preptreeTop(rt.Tree, o.TmpIsDir == nil || *o.TmpIsDir) }},
	}
	for _, s := range steps {
		rt.Logf("ostree.preptree: %s", s.what)
		if err := s.do(); err != nil {
			return fmt.Errorf("%s: %w", s.what, err)
		}
	}
	return nil
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// preptreeMachineID leaves /etc/machine-id empty when the tree had one
// (rpm-ostree's machineid-compat) and absent otherwise.
func preptreeMachineID(tree string, compat bool) error {
	p := filepath.Join(tree, "etc/machine-id")
	if compat {
		return os.Truncate(p, 0)
	}
	return nil
}

// preptreeMoves moves /usr/local to /var/usrlocal (linked back), the dpkg
// database to /usr/lib/sysimage/dpkg (rpm-ostree keeps the rpm database
// in /usr likewise; preptreeVar links /var/lib/dpkg to it) and a /home
// that is not empty to /var/home.
func preptreeMoves(rt *Runtime) error {
	tree := rt.Tree
	local := filepath.Join(tree, "usr/local")
	if fi, err := os.Lstat(local); err == nil && fi.IsDir() {
		if err := moveDir(rt, local, filepath.Join(tree, "var/usrlocal")); err != nil {
			return err
		}
		if err := os.Symlink("../var/usrlocal", local); err != nil {
			return err
		}
	}
	if exists(filepath.Join(tree, "var/lib/dpkg")) {
		if err := os.MkdirAll(filepath.Join(tree, "usr/lib/sysimage"), 0o755); err != nil {
			return err
		}
		if err := moveDir(rt, filepath.Join(tree, "var/lib/dpkg"), filepath.Join(tree, dpkgSysimage)); err != nil {
			return err
		}
	}
	home := filepath.Join(tree, "home")
	entries, err := os.ReadDir(home)
	if err != nil || len(entries) == 0 {
		return nil
	}
	return moveDir(rt, home, filepath.Join(tree, "var/home"))
}

// moveDir moves a directory. A tree's layers are overlay filesystems,
// where a directory from a lower layer cannot be renamed (EXDEV): mv then
// copies it, owners, modes and attributes with it, and removes it.
func moveDir(rt *Runtime, src, dst string) error {
	err := os.Rename(src, dst)
	if !errors.Is(err, syscall.EXDEV) {
		return err
	}
	return rt.Run("mv", "-T", src, dst)
}

// dpkgSysimage is where the dpkg database is kept in an OSTree commit.
const dpkgSysimage = "usr/lib/sysimage/dpkg"

// preptreeTop makes osbuild's new top level: only preptreeKept (and what
// the file operations after the helper redo) stays; sysroot, var, the
// links and /tmp (a directory, or a link to sysroot/tmp) are made.
func preptreeTop(tree string, tmpIsDir bool) error {
	entries, err := os.ReadDir(tree)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if slices.Contains(preptreeKept, e.Name()) || slices.Contains(preptreeMounted, e.Name()) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(tree, e.Name())); err != nil {
			return err
		}
	}
	if err := os.RemoveAll(filepath.Join(tree, "home")); err != nil {
		return err
	}
	for _, d := range []string{"sysroot", "var"} {
		if err := mkdirMode(filepath.Join(tree, d), 0o755); err != nil {
			return err
		}
	}
	for _, l := range preptreeLinks {
		if err := os.Symlink(l[1], filepath.Join(tree, l[0])); err != nil {
			return err
		}
	}
	if tmpIsDir {
		return mkdirMode(filepath.Join(tree, "tmp"), 0o777|fs.ModeSticky)
	}
	return os.Symlink("sysroot/tmp", filepath.Join(tree, "tmp"))
}

// mkdirMode makes a directory, or keeps the one there, with mode.
func mkdirMode(p string, mode fs.FileMode) error {
	if err := os.Mkdir(p, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return os.Chmod(p, mode)
}
