package manifest

import (
	"fmt"
	"strings"
)

// Location is a parsed copy URL: input://NAME/PATH, tree:///PATH or
// mount://NAME/PATH.
type Location struct {
	Scheme string // "input", "tree" or "mount"
	Name   string // the input or mount; empty for tree
	Path   string // absolute and clean (but for Contents' "/"), never above the root
	// Contents is set when the URL ends in "/": a directory's contents.
	Contents bool
}

// ParseLocation parses a copy URL.
func ParseLocation(s string) (Location, error) {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return Location{}, fmt.Errorf("%q is not a URL: use input://NAME/PATH, tree:///PATH or mount://NAME/PATH", s)
	}
	var l Location
	switch scheme {
	case "tree":
		l.Scheme = scheme
		if !strings.HasPrefix(rest, "/") {
			return Location{}, fmt.Errorf("%q: a tree URL has three slashes: tree:///PATH", s)
		}
		l.Path = rest
	case "input", "mount":
		l.Scheme = scheme
		name, path, _ := strings.Cut(rest, "/")
		if name == "" {
			return Location{}, fmt.Errorf("%q names no %s", s, scheme)
		}
		l.Name, l.Path = name, "/"+path
	default:
		return Location{}, fmt.Errorf("%q: unknown scheme %q (use input, tree or mount)", s, scheme)
	}
	l.Contents = strings.HasSuffix(l.Path, "/")
	clean, err := TreePath(l.Path)
	if err != nil {
		return Location{}, fmt.Errorf("%q: %w", s, err)
	}
	if l.Contents && clean != "/" {
		clean += "/"
	}
	l.Path = clean
	return l, nil
}
