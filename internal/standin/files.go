package standin

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// nativeCp is `cp -p SRC DST` and `cp -pP SRC DST` for a new DST: mode,
// owner and times kept, and with -P a symbolic link copied as one.
func nativeCp(args []string, _ io.Writer) error {
	flags, ops, ok := flagsAndOperands(args, "-p", "-P", "-pP", "-Pp")
	if !ok || len(ops) != 2 || !(flags["-p"] || flags["-pP"] || flags["-Pp"]) {
		return errNotMine
	}
	src, dst := ops[0], ops[1]
	noDeref := flags["-P"] || flags["-pP"] || flags["-Pp"]
	var st unix.Stat_t
	stat := unix.Stat
	if noDeref {
		stat = unix.Lstat
	}
	if stat(src, &st) != nil {
		return errNotMine
	}
	if _, err := os.Lstat(dst); err == nil || strings.HasSuffix(dst, "/") {
		return errNotMine
	}
	if dir, err := os.Stat(filepath.Dir(dst)); err != nil || !dir.IsDir() {
		return errNotMine
	}
	times := []unix.Timespec{st.Atim, st.Mtim}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFLNK:
		target, err := os.Readlink(src)
		if err != nil {
			return errNotMine
		}
		if err := os.Symlink(target, dst); err != nil {
			return err
		}
		if err := os.Lchown(dst, int(st.Uid), int(st.Gid)); err != nil {
			return err
		}
		return unix.UtimesNanoAt(unix.AT_FDCWD, dst, times, unix.AT_SYMLINK_NOFOLLOW)
	case unix.S_IFREG:
		return copyRegular(src, dst, &st, times)
	}
	return errNotMine
}

func copyRegular(src, dst string, st *unix.Stat_t, times []unix.Timespec) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	fd := int(out.Fd())
	_, err = io.Copy(out, in)
	if err == nil {
		// The owner first: changing it clears set-user-ID bits.
		err = unix.Fchown(fd, int(st.Uid), int(st.Gid))
	}
	if err == nil {
		err = unix.Fchmod(fd, st.Mode&0o7777)
	}
	if err == nil {
		err = unix.UtimesNanoAt(unix.AT_FDCWD, dst, times, 0)
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// nativeMkdir is `mkdir -p DIR…` under a umask that leaves the owner
// write and search (GNU mkdir then makes parents as Go does).
func nativeMkdir(args []string, _ io.Writer) error {
	_, ops, ok := flagsAndOperands(args, "-p")
	if !ok || len(ops) == 0 || len(ops) == len(args) {
		return errNotMine
	}
	mask := Umask()
	if mask&0o300 != 0 {
		return errNotMine
	}
	for _, d := range ops {
		if err := os.MkdirAll(d, 0o777); err != nil {
			return errNotMine // the tree's mkdir says why
		}
	}
	return nil
}

// nativeRealpath is `realpath -s [-m] /PATH…`: lexical, no symbolic link
// followed. Without -m, a path with ".." or a missing parent is left to
// the tree's realpath, which checks each component.
func nativeRealpath(args []string, out io.Writer) error {
	flags, ops, ok := flagsAndOperands(args, "-s", "-m", "-ms", "-sm")
	if !ok || len(ops) == 0 || !(flags["-s"] || flags["-ms"] || flags["-sm"]) {
		return errNotMine
	}
	missingOK := flags["-m"] || flags["-ms"] || flags["-sm"]
	var b bytes.Buffer
	for _, p := range ops {
		if !filepath.IsAbs(p) {
			return errNotMine
		}
		abs := filepath.Clean(p)
		if !missingOK {
			if slices.Contains(strings.Split(p, "/"), "..") {
				return errNotMine
			}
			if dir, err := os.Stat(filepath.Dir(abs)); err != nil || !dir.IsDir() {
				return errNotMine
			}
		}
		b.WriteString(abs + "\n")
	}
	_, err := out.Write(b.Bytes())
	return err
}

// nativeReadlink is `readlink -f /PATH…` for paths that exist.
func nativeReadlink(args []string, out io.Writer) error {
	_, ops, ok := flagsAndOperands(args, "-f")
	if !ok || len(ops) == 0 || len(ops) == len(args) {
		return errNotMine
	}
	var b bytes.Buffer
	for _, p := range ops {
		if !filepath.IsAbs(p) {
			return errNotMine
		}
		real, err := filepath.EvalSymlinks(p)
		if err != nil {
			return errNotMine
		}
		b.WriteString(real + "\n")
	}
	_, err := out.Write(b.Bytes())
	return err
}
