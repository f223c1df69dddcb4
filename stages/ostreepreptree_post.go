package stages

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// What rpm-ostree's compose postprocess does to a tree, for a Debian tree
// (org.osbuild.ostree.preptree).

// preptreeKernel moves the tree's one kernel to
// /usr/lib/modules/VERSION/vmlinuz (its config and System.map beside it),
// makes /usr/lib/modules/VERSION/initramfs.img with the tree's dracut and
// the ostree module, as rpm-ostree does, and empties /boot.
func preptreeKernel(rt *Runtime, initramfsArgs []string) error {
	tree := rt.Tree
	modules := filepath.Join(tree, "usr/lib/modules")
	entries, err := os.ReadDir(modules)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	var kvers []string
	for _, e := range entries {
		k := e.Name()
		if exists(filepath.Join(tree, "boot/vmlinuz-"+k)) || exists(filepath.Join(modules, k, "vmlinuz")) {
			kvers = append(kvers, k)
		}
	}
	switch {
	case len(kvers) == 0:
		return errors.New("the tree has no kernel (/boot/vmlinuz-VERSION with /usr/lib/modules/VERSION): install a linux-image package before this stage; an OSTree deployment boots its commit's kernel")
	case len(kvers) > 1:
		return fmt.Errorf("the tree has %d kernels (%s); OSTree's layout holds one, as rpm-ostree requires: remove the others before this stage", len(kvers), strings.Join(kvers, ", "))
	}
	k := kvers[0]
	if !exists(filepath.Join(tree, "usr/bin/dracut")) {
		return errors.New("the tree has no dracut: install Debian's dracut and ostree-boot before this stage (the initramfs of an OSTree system must mount the deployment, which dracut's ostree module does)")
	}
	if found, _ := filepath.Glob(filepath.Join(tree, "usr/lib/dracut/modules.d/*ostree")); len(found) == 0 {
		return errors.New("the tree has no dracut module for OSTree: install Debian's ostree-boot before this stage")
	}
	for from, to := range map[string]string{"vmlinuz-": "vmlinuz", "config-": "config", "System.map-": "System.map"} {
		src := filepath.Join(tree, "boot", from+k)
		if exists(src) {
			if err := os.Rename(src, filepath.Join(modules, k, to)); err != nil {
				return err
			}
		}
	}
	args := append([]string{"--no-hostonly", "--kver", k, "--reproducible", "-v", "--add", "ostree"}, initramfsArgs...)
	if err := rt.Run("dracut", append(args, "--force", filepath.Join(modules, k, "initramfs.img"))...); err != nil {
		return fmt.Errorf("dracut for kernel %s: %w", k, err)
	}
	return emptyDir(filepath.Join(tree, "boot"))
}

// emptyDir removes what a directory holds.
func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// preptreeUsers moves every user but root to /usr/lib/passwd and every
// group but root and keep to /usr/lib/group, and adds altfiles to
// nsswitch.conf, as rpm-ostree does, when the tree has nss-altfiles to
// read them back; otherwise both files stay whole.
func preptreeUsers(rt *Runtime, keep []string) error {
	tree := rt.Tree
	altfiles, _ := filepath.Glob(filepath.Join(tree, "usr/lib*/libnss_altfiles.so.2"))
	multiarch, _ := filepath.Glob(filepath.Join(tree, "usr/lib/*/libnss_altfiles.so.2"))
	if len(altfiles)+len(multiarch) == 0 {
		rt.Logf("the tree has no nss-altfiles (Debian does not package it): /etc/passwd and /etc/group stay whole, so etc_group_members changes nothing")
		return nil
	}
	if err := splitDB(tree, "passwd", func(f []string) bool { return f[2] == "0" }); err != nil {
		return err
	}
	if err := splitDB(tree, "group", func(f []string) bool { return f[2] == "0" || slices.Contains(keep, f[0]) }); err != nil {
		return err
	}
	return addAltfiles(filepath.Join(tree, "etc/nsswitch.conf"))
}

// splitDB keeps the lines of /etc/NAME that stay say so of and appends
// the others to /usr/lib/NAME.
func splitDB(tree, name string, stay func([]string) bool) error {
	etc := filepath.Join(tree, "etc", name)
	data, err := os.ReadFile(etc)
	if err != nil {
		return err
	}
	var kept, moved bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ":")
		if len(fields) < 3 || stay(fields) {
			kept.WriteString(sc.Text() + "\n")
		} else {
			moved.WriteString(sc.Text() + "\n")
		}
	}
	lib := filepath.Join(tree, "usr/lib", name)
	f, err := os.OpenFile(lib, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(moved.Bytes()); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.WriteFile(etc, kept.Bytes(), 0o644)
}

// addAltfiles adds altfiles after files for passwd and group.
func addAltfiles(conf string) error {
	data, err := os.ReadFile(conf)
	if err != nil {
		return err
	}
	lines := strings.Split(string(data), "\n")
	for i, l := range lines {
		db, srcs, ok := strings.Cut(l, ":")
		if !ok || (db != "passwd" && db != "group") || strings.Contains(srcs, "altfiles") {
			continue
		}
		lines[i] = db + ":" + strings.Replace(srcs, "files", "files altfiles", 1)
	}
	return os.WriteFile(conf, []byte(strings.Join(lines, "\n")), 0o644)
}

// autovarConf is where the lines made of /var go (rpm-ostree's name).
const autovarConf = "usr/lib/tmpfiles.d/rpm-ostree-1-autovar.conf"

// preptreeVar writes a systemd-tmpfiles line for every directory and link
// in /var (owners by the tree's names), links /var/lib/dpkg to the
// database preptreeMoves kept, and empties /var: files there are not part
// of an OSTree commit (rpm-ostree drops them too).
func preptreeVar(rt *Runtime) error {
	tree := rt.Tree
	users, groups := idNames(filepath.Join(tree, "etc/passwd")), idNames(filepath.Join(tree, "etc/group"))
	declared := tmpfilesPaths(tree)
	var conf strings.Builder
	var dropped []string
	root := filepath.Join(tree, "var")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel := "/var/" + filepath.ToSlash(p[len(root)+1:])
		switch {
		case (d.IsDir() || d.Type()&fs.ModeSymlink != 0) && declared[rel]:
			// The tree's packages declare it: no second line.
		case d.IsDir():
			fi, err := os.Lstat(p)
			if err != nil {
				return err
			}
			st := fi.Sys().(*syscall.Stat_t)
			fmt.Fprintf(&conf, "d %s %04o %s %s - -\n", tmpfilesEscape(rel), st.Mode&0o7777, idName(users, st.Uid), idName(groups, st.Gid))
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(&conf, "L %s - - - - %s\n", tmpfilesEscape(rel), target)
		default:
			dropped = append(dropped, rel)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if exists(filepath.Join(tree, dpkgSysimage)) && !declared["/var/lib/dpkg"] {
		fmt.Fprintf(&conf, "L /var/lib/dpkg - - - - ../../%s\n", dpkgSysimage)
	}
	if len(dropped) > 0 {
		rt.Logf("%d files in /var are not kept (first: %s)", len(dropped), strings.Join(dropped[:min(5, len(dropped))], ", "))
	}
	if err := os.MkdirAll(filepath.Join(tree, filepath.Dir(autovarConf)), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tree, autovarConf), []byte(conf.String()), 0o644); err != nil {
		return err
	}
	return emptyDir(root)
}

// tmpfilesPaths are the paths the tree's tmpfiles.d files already have
// lines for: rpm-ostree leaves those out of its own, so systemd-tmpfiles
// does not warn of duplicates.
func tmpfilesPaths(tree string) map[string]bool {
	out := map[string]bool{}
	for _, dir := range []string{"usr/lib/tmpfiles.d", "etc/tmpfiles.d"} {
		files, _ := filepath.Glob(filepath.Join(tree, dir, "*.conf"))
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				continue
			}
			for _, l := range strings.Split(string(data), "\n") {
				if fields := strings.Fields(l); len(fields) >= 2 && !strings.HasPrefix(fields[0], "#") {
					out[fields[1]] = true
				}
			}
		}
	}
	return out
}

// idNames maps the IDs of a passwd-style file to their names.
func idNames(db string) map[uint32]string {
	out := map[uint32]string{}
	data, err := os.ReadFile(db)
	if err != nil {
		return out
	}
	for _, l := range strings.Split(string(data), "\n") {
		f := strings.Split(l, ":")
		if len(f) < 3 {
			continue
		}
		if id, err := strconv.ParseUint(f[2], 10, 32); err == nil {
			if _, seen := out[uint32(id)]; !seen {
				out[uint32(id)] = f[0]
			}
		}
	}
	return out
}

func idName(names map[uint32]string, id uint32) string {
	if n, ok := names[id]; ok {
		return n
	}
	return strconv.FormatUint(uint64(id), 10)
}

// tmpfilesEscape writes a path as tmpfiles.d reads it: whitespace and
// backslashes C-escaped, specifiers (%) doubled.
func tmpfilesEscape(p string) string {
	var b strings.Builder
	for _, r := range p {
		switch {
		case r == '%':
			b.WriteString("%%")
		case r == '\\' || r == ' ' || r == '\t' || r == '"' || r == '\'':
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
