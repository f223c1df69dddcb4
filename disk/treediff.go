package disk

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"

	"golang.org/x/sys/unix"
)

// errNotIncremental says a change cannot be written into an ext4
// filesystem with debugfs as mkfs.ext4 -d would have written it (extended
// attributes, hard links, sockets, names debugfs cannot take): the
// filesystem is then made anew from the whole tree.
var errNotIncremental = errors.New("not incremental")

// treeDiff writes the debugfs commands that turn the ext4 filesystem
// mkfs.ext4 -d made of old into the one it would make of cur: what cur
// lacks is removed, what it adds or changes is written, with cur's mode,
// owner and times (clamped to epoch when set, as clampScript does).
// Entries below skip (paths relative to the roots: nested mountpoints)
// are not compared; the mountpoints themselves are.
//
// What is the same in both is decided by content, never by how the trees
// are stored: an entry is unchanged when type, mode, owner, modification
// time, size, extended attributes and content (or link target, or device)
// are. A file that is one and the same inode in both (one layer under two
// overlay mounts: same inode number, change time, and the rest) is
// unchanged without reading it. So the same two trees give the same
// commands on any builder, and the same filesystem.
type treeDiff struct {
	old, cur string
	skip     map[string]bool
	epoch    *int64
	script   bytes.Buffer
	changes  int
	cwd      string
}

// diffTrees returns the debugfs script and the number of entries it
// writes or removes, or errNotIncremental.
func diffTrees(old, cur string, skip []string, epoch *int64) ([]byte, int, error) {
	d := &treeDiff{old: old, cur: cur, skip: map[string]bool{}, epoch: epoch}
	for _, s := range skip {
		d.skip[path.Clean("/"+s)] = true
	}
	if err := d.dir("/"); err != nil {
		return nil, 0, err
	}
	return d.script.Bytes(), d.changes, nil
}

// entry is one name's state in a tree.
type entry struct {
	path string // on the host
	st   unix.Stat_t
}

func (e *entry) kind() uint32 { return e.st.Mode & unix.S_IFMT }

func lstat(p string) (*entry, error) {
	e := &entry{path: p}
	if err := unix.Lstat(p, &e.st); err != nil {
		return nil, err
	}
	return e, nil
}

// names lists a directory's entries, sorted; a missing directory has none.
func names(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	n, err := f.Readdirnames(-1)
	sort.Strings(n)
	return n, err
}

// dir compares directory at (a path in the filesystem) in both trees. The
// root's own metadata is mkfs.ext4's, not the tree's: it is not compared.
func (d *treeDiff) dir(at string) error {
	oldNames, err := names(filepath.Join(d.old, at))
	if err != nil {
		return err
	}
	curNames, err := names(filepath.Join(d.cur, at))
	if err != nil {
		return err
	}
	inCur := map[string]bool{}
	for _, n := range curNames {
		inCur[n] = true
	}
	// Removals first: a name may come back as something else.
	for _, n := range oldNames {
		if !inCur[n] {
			if err := d.remove(path.Join(at, n)); err != nil {
				return err
			}
		}
	}
	for _, n := range curNames {
		if err := d.compare(path.Join(at, n)); err != nil {
			return err
		}
	}
	return nil
}

// compare brings the name at into line with cur.
func (d *treeDiff) compare(at string) error {
	c, err := lstat(filepath.Join(d.cur, at))
	if err != nil {
		return err
	}
	o, err := lstat(filepath.Join(d.old, at))
	if errors.Is(err, os.ErrNotExist) {
		return d.add(at, c)
	}
	if err != nil {
		return err
	}
	if o.kind() != c.kind() {
		if err := d.remove(at); err != nil {
			return err
		}
		return d.add(at, c)
	}
	same, err := sameEntry(o, c)
	if err != nil {
		return err
	}
	if c.kind() == unix.S_IFDIR {
		if !d.skip[at] {
			if err := d.dir(at); err != nil {
				return err
			}
		}
		// After the contents, should writing them touch the directory.
		if !same {
			return d.attrs(at, c)
		}
		return nil
	}
	if same {
		return nil
	}
	if err := d.remove(at); err != nil {
		return err
	}
	return d.add(at, c)
}

// sameEntry says whether two entries of one kind are the same (see
// treeDiff), directories by their own metadata only.
func sameEntry(o, c *entry) (bool, error) {
	a, b := &o.st, &c.st
	if a.Mode != b.Mode || a.Uid != b.Uid || a.Gid != b.Gid || a.Mtim != b.Mtim || a.Size != b.Size || a.Rdev != b.Rdev {
		return false, nil
	}
	if a.Ino == b.Ino && a.Ctim == b.Ctim && c.kind() != unix.S_IFDIR {
		return true, nil // one inode under two mounts
	}
	ox, err := xattrs(o.path)
	if err != nil {
		return false, err
	}
	cx, err := xattrs(c.path)
	if err != nil || !bytes.Equal(ox, cx) {
		return false, err
	}
	switch c.kind() {
	case unix.S_IFREG:
		return sameContent(o.path, c.path)
	case unix.S_IFLNK:
		ot, err := os.Readlink(o.path)
		if err != nil {
			return false, err
		}
		ct, err := os.Readlink(c.path)
		return ot == ct, err
	}
	return true, nil
}

// xattrs is a file's extended attributes, names and values, in order.
func xattrs(p string) ([]byte, error) {
	list, err := growing(func(b []byte) (int, error) { return unix.Llistxattr(p, b) })
	if err != nil || len(list) == 0 {
		if errors.Is(err, unix.ENOTSUP) {
			err = nil
		}
		return nil, err
	}
	keys := bytes.Split(bytes.TrimRight(list, "\x00"), []byte{0})
	sort.Slice(keys, func(i, j int) bool { return bytes.Compare(keys[i], keys[j]) < 0 })
	var out bytes.Buffer
	for _, k := range keys {
		v, err := growing(func(b []byte) (int, error) { return unix.Lgetxattr(p, string(k), b) })
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&out, "%s=%x\n", k, v)
	}
	return out.Bytes(), nil
}

// growing calls get with a buffer large enough (overlayfs may answer a
// size query with less than the answer then needs: ERANGE, try larger).
func growing(get func([]byte) (int, error)) ([]byte, error) {
	for size := 4 << 10; ; size *= 2 {
		b := make([]byte, size)
		n, err := get(b)
		if errors.Is(err, unix.ERANGE) && size < 4<<20 {
			continue
		}
		if err != nil {
			return nil, err
		}
		return b[:n], nil
	}
}

func sameContent(a, b string) (bool, error) {
	fa, err := os.Open(a)
	if err != nil {
		return false, err
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		return false, err
	}
	defer fb.Close()
	ba, bb := make([]byte, 1<<20), make([]byte, 1<<20)
	for {
		na, errA := io.ReadFull(fa, ba)
		nb, errB := io.ReadFull(fb, bb)
		if na != nb || !bytes.Equal(ba[:na], bb[:nb]) {
			return false, nil
		}
		if errA == io.EOF || errA == io.ErrUnexpectedEOF {
			return errB == errA, nil
		}
		if errA != nil {
			return false, errA
		}
		if errB != nil {
			return false, errB
		}
	}
}

// remove removes at, which old has, from the filesystem: a directory's
// contents first (a nested mountpoint's are not in the filesystem). rm
// and rmdir take the name in the working directory: given a path, debugfs
// unlinks its last name from the working directory when the path's
// directory is the root ("/vmlinuz" after a cd to /etc: the name is not
// found, after rm has already dropped the inode's link count).
func (d *treeDiff) remove(at string) error {
	o, err := lstat(filepath.Join(d.old, at))
	if err != nil {
		return err
	}
	dir, base := path.Split(at)
	qbase, err := debugfsName(base)
	if err != nil {
		return fmt.Errorf("%w: %v", errNotIncremental, err)
	}
	d.changes++
	if o.kind() == unix.S_IFDIR && !d.skip[at] {
		children, err := names(o.path)
		if err != nil {
			return err
		}
		for _, n := range children {
			if err := d.remove(path.Join(at, n)); err != nil {
				return err
			}
		}
	}
	if err := d.cd(dir); err != nil {
		return err
	}
	if o.kind() == unix.S_IFDIR {
		fmt.Fprintf(&d.script, "rmdir %s\n", qbase)
	} else {
		fmt.Fprintf(&d.script, "rm %s\n", qbase)
	}
	return nil
}

// add writes at, new in cur, into the filesystem, a directory with its
// contents.
func (d *treeDiff) add(at string, c *entry) error {
	if x, err := xattrs(c.path); err != nil || len(x) > 0 {
		if err == nil {
			err = fmt.Errorf("%w: %s has extended attributes", errNotIncremental, at)
		}
		return err
	}
	if c.kind() != unix.S_IFDIR && c.st.Nlink > 1 {
		return fmt.Errorf("%w: %s has hard links", errNotIncremental, at)
	}
	dir, base := path.Split(at)
	qbase, err := debugfsName(base)
	if err != nil {
		return fmt.Errorf("%w: %v", errNotIncremental, err)
	}
	if err := d.cd(dir); err != nil {
		return err
	}
	d.changes++
	switch c.kind() {
	case unix.S_IFDIR:
		fmt.Fprintf(&d.script, "mkdir %s\n", qbase)
	case unix.S_IFREG:
		src, err := debugfsName(c.path)
		if err != nil {
			return fmt.Errorf("%w: %v", errNotIncremental, err)
		}
		fmt.Fprintf(&d.script, "write %s %s\n", src, qbase)
	case unix.S_IFLNK:
		target, err := os.Readlink(c.path)
		if err != nil {
			return err
		}
		qt, err := debugfsName(target)
		if err != nil {
			return fmt.Errorf("%w: %v", errNotIncremental, err)
		}
		fmt.Fprintf(&d.script, "symlink %s %s\n", qbase, qt)
	case unix.S_IFCHR, unix.S_IFBLK:
		t := "c"
		if c.kind() == unix.S_IFBLK {
			t = "b"
		}
		fmt.Fprintf(&d.script, "mknod %s %s %d %d\n", qbase, t, unix.Major(c.st.Rdev), unix.Minor(c.st.Rdev))
	case unix.S_IFIFO:
		fmt.Fprintf(&d.script, "mknod %s p\n", qbase)
	default:
		return fmt.Errorf("%w: %s is a socket", errNotIncremental, at)
	}
	if c.kind() == unix.S_IFDIR && !d.skip[at] {
		children, err := names(c.path)
		if err != nil {
			return err
		}
		for _, n := range children {
			e, err := lstat(filepath.Join(c.path, n))
			if err != nil {
				return err
			}
			if err := d.add(path.Join(at, n), e); err != nil {
				return err
			}
		}
	}
	return d.attrs(at, c)
}

// cd makes dir debugfs's working directory, for the commands that take a
// name in it.
func (d *treeDiff) cd(dir string) error {
	dir = path.Clean("/" + dir)
	if dir == d.cwd {
		return nil
	}
	q, err := debugfsName(dir)
	if err != nil {
		return fmt.Errorf("%w: %v", errNotIncremental, err)
	}
	fmt.Fprintf(&d.script, "cd %s\n", q)
	d.cwd = dir
	return nil
}

// attrs sets at's mode, owner and times to c's, as mkfs.ext4 -d does
// (whole seconds), clamped to the epoch.
func (d *treeDiff) attrs(at string, c *entry) error {
	name, err := debugfsName(at)
	if err != nil {
		return fmt.Errorf("%w: %v", errNotIncremental, err)
	}
	fmt.Fprintf(&d.script, "sif %s mode 0%o\nsif %s uid %d\nsif %s gid %d\n", name, c.st.Mode, name, c.st.Uid, name, c.st.Gid)
	for _, t := range []struct {
		field string
		sec   int64
	}{{"atime", c.st.Atim.Sec}, {"mtime", c.st.Mtim.Sec}} {
		if d.epoch != nil && t.sec > *d.epoch {
			t.sec = *d.epoch
		}
		fmt.Fprintf(&d.script, "sif %s %s @%d\n", name, t.field, t.sec)
	}
	return nil
}
