package securejoin

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Join resolves unsafe (a path inside root) as if root were "/":
// ".." stops at root and symlinks, absolute or relative, are followed
// within root. The result is always inside root. Missing components are
// taken literally.
func Join(root, unsafe string) (string, error) {
	if strings.ContainsRune(unsafe, 0) {
		return "", fmt.Errorf("path %q contains a NUL byte", unsafe)
	}
	root = filepath.Clean(root)
	var resolved string // relative to root, always clean, never above it
	rest := unsafe
	for links := 0; rest != ""; {
		var comp string
		comp, rest, _ = strings.Cut(strings.TrimLeft(rest, "/"), "/")
		switch comp {
		case "", ".":
			continue
		case "..":
			resolved = parentOf(resolved)
			continue
		}
		next := filepath.Join(resolved, comp)
		fi, err := os.Lstat(filepath.Join(root, next))
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				resolved = next
				continue
			}
			return "", err
		}
		if fi.Mode()&os.ModeSymlink == 0 {
			resolved = next
			continue
		}
		links++
		if links > 255 {
			return "", fmt.Errorf("resolving %q: too many symbolic links", unsafe)
		}
		target, err := os.Readlink(filepath.Join(root, next))
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(target, "/") {
			resolved = ""
		}
		rest = target + "/" + rest
	}
	return filepath.Join(root, resolved), nil
}

func parentOf(p string) string {
	if p == "" || p == "." {
		return ""
	}
	d := filepath.Dir(p)
	if d == "." {
		return ""
	}
	return d
}
