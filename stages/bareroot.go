package stages

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// BareRootDir is where a step with a bare root (Exec.BareRoot) has the
// buildroot, read-only.
const BareRootDir = "/run/osbuild/buildroot-ro"

// The root entries a bare root keeps as they are: the sandbox's own
// filesystems and mount points.
var sandboxEntries = map[string]bool{"proc": true, "sys": true, "dev": true, "run": true}

// The root entries a bare root makes as empty, writable directories, not
// links to the read-only buildroot.
var writableEntries = map[string]fs.FileMode{"tmp": 0o777 | fs.ModeSticky, "root": 0o700}

// linkBareRoot makes the empty root "/" look like the buildroot mounted at
// dir, as osbuild's own buildroot shows its build tree's /usr read-only:
// each top-level entry the root lacks becomes a link into dir (a link in
// dir is copied as it is, so /bin stays usr/bin), /etc a directory of
// links (BuildKit has already bound its hosts and resolv.conf there), and
// /tmp and /root empty directories.
func linkBareRoot(root, dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("reading the buildroot: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		switch {
		case sandboxEntries[name]:
		case name == "etc":
			if err := os.MkdirAll(filepath.Join(root, name), 0o755); err != nil {
				return err
			}
			if err := linkEntries(filepath.Join(root, name), filepath.Join(dir, name)); err != nil {
				return err
			}
		case writableEntries[name] != 0:
			if err := os.Mkdir(filepath.Join(root, name), 0); err != nil && !errors.Is(err, fs.ErrExist) {
				return err
			}
			if err := os.Chmod(filepath.Join(root, name), writableEntries[name]); err != nil {
				return err
			}
		default:
			if err := linkEntry(filepath.Join(root, name), filepath.Join(dir, name), e); err != nil {
				return err
			}
		}
	}
	return nil
}

// linkEntries links each entry of dir that to lacks into to.
func linkEntries(to, dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("reading the buildroot: %w", err)
	}
	for _, e := range entries {
		if err := linkEntry(filepath.Join(to, e.Name()), filepath.Join(dir, e.Name()), e); err != nil {
			return err
		}
	}
	return nil
}

// linkEntry makes path a link to target, or a copy of target when target
// is itself a link; a path that exists is left alone.
func linkEntry(path, target string, e fs.DirEntry) error {
	if _, err := os.Lstat(path); err == nil {
		return nil
	}
	if e.Type()&fs.ModeSymlink != 0 {
		dest, err := os.Readlink(target)
		if err != nil {
			return err
		}
		target = dest
	}
	if err := os.Symlink(target, path); err != nil {
		return fmt.Errorf("linking the buildroot: %w", err)
	}
	return nil
}
