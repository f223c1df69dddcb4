package disk

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/osbuildkit/osbuildkit/internal/securejoin"
)

// nestedMountpoints lists the mountpoints of other filesystems below
// partition i's, outermost only (/boot's content includes /boot/efi's).
func (d *Disk) nestedMountpoints(i int) []string {
	parent := d.Partitions[i].FS.Mountpoint
	var all []string
	for j, p := range d.Partitions {
		if j == i || p.FS == nil || p.FS.Mountpoint == "" || p.FS.Mountpoint == parent {
			continue
		}
		if below(p.FS.Mountpoint, parent) {
			all = append(all, path.Clean(p.FS.Mountpoint))
		}
	}
	sort.Strings(all)
	var outer []string
	for _, m := range all {
		if len(outer) == 0 || !below(m, outer[len(outer)-1]) {
			outer = append(outer, m)
		}
	}
	return outer
}

// below reports whether p is strictly inside dir.
func below(p, dir string) bool {
	p, dir = path.Clean(p), path.Clean(dir)
	if dir == "/" {
		return p != "/"
	}
	return strings.HasPrefix(p, dir+"/")
}

// dropNested removes, from the ext4 filesystem of partition i, what
// mkfs.ext4 -d copied from below nested mountpoints: as osbuild (which
// copies the tree into mounted filesystems) that content lives only in the
// nested filesystem, and the mountpoint stays, empty. A name debugfs cannot
// quote keeps that mountpoint's copy, with a note.
func (d *Disk) dropNested(r Runner, i int, tree, raw string, epoch *int64) error {
	p := d.Partitions[i]
	var script bytes.Buffer
	for _, m := range d.nestedMountpoints(i) {
		dir, err := securejoin.Join(tree, m)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(path.Clean(p.FS.Mountpoint), m)
		cmds, err := removalScript(dir, path.Join("/", filepath.ToSlash(rel)))
		if err != nil {
			r.Logf("note: %s stays also in the %s filesystem: %v", m, p.FS.Mountpoint, err)
			continue
		}
		script.Write(cmds)
	}
	if script.Len() == 0 {
		return nil
	}
	return debugfs(r, raw, p.Start, script.Bytes(), epoch, "removing nested mountpoints' content")
}

// removalScript is the debugfs commands removing everything below dir
// (the tree's copy of a mountpoint), which is at at in the filesystem:
// files first, then directories, deepest first.
func removalScript(dir, at string) ([]byte, error) {
	var files, dirs []string
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) && p == dir {
				return filepath.SkipDir
			}
			return err
		}
		if p == dir {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		name := path.Join(at, filepath.ToSlash(rel))
		quoted, err := debugfsName(name)
		if err != nil {
			return err
		}
		if e.IsDir() {
			dirs = append(dirs, quoted)
		} else {
			files = append(files, quoted)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	for _, f := range files {
		fmt.Fprintf(&b, "rm %s\n", f)
	}
	for k := len(dirs) - 1; k >= 0; k-- {
		fmt.Fprintf(&b, "rmdir %s\n", dirs[k])
	}
	return b.Bytes(), nil
}
