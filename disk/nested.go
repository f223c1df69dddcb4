package disk

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
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
	file := raw + ".debugfs"
	if err := os.WriteFile(file, script.Bytes(), 0o600); err != nil {
		return err
	}
	defer os.Remove(file)
	var errs bytes.Buffer
	cmd := exec.Command("debugfs", "-w", "-f", file, fmt.Sprintf("%s?offset=%d", raw, p.Start))
	cmd.Stdout, cmd.Stderr = io.Discard, &errs
	if err := r.Exec(e2fsTimes(cmd, epoch)); err != nil {
		return fmt.Errorf("removing nested mountpoints' content with debugfs: %w: %s", err, strings.TrimSpace(errs.String()))
	}
	// debugfs exits 0 when a command fails; anything past its banner is one.
	lines := strings.Split(strings.TrimSpace(errs.String()), "\n")
	if len(lines) > 0 && strings.HasPrefix(lines[0], "debugfs ") {
		lines = lines[1:]
	}
	if len(lines) > 0 {
		return fmt.Errorf("removing nested mountpoints' content with debugfs: %s", strings.Join(lines, "; "))
	}
	return nil
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
		if strings.ContainsAny(name, "\"\n\r\\") {
			return fmt.Errorf("%q has a character debugfs cannot take", name)
		}
		if e.IsDir() {
			dirs = append(dirs, name)
		} else {
			files = append(files, name)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	for _, f := range files {
		fmt.Fprintf(&b, "rm \"%s\"\n", f)
	}
	for k := len(dirs) - 1; k >= 0; k-- {
		fmt.Fprintf(&b, "rmdir \"%s\"\n", dirs[k])
	}
	return b.Bytes(), nil
}
