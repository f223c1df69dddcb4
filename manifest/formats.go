package manifest

import (
	"errors"
	"fmt"
	"math"
	"path"
	"strconv"
	"strings"
)

// ParseSize parses a size: a byte count, or a number with a unit. K, M, G,
// T, P and KiB…PiB are powers of 1024 (as truncate(1) and qemu-img read
// them); kB, KB, MB, GB, TB, PB are powers of 1000 (as osbuild reads them).
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, errors.New("empty size")
	}
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, fmt.Errorf("%q does not start with a number", s)
	}
	n, err := strconv.ParseInt(t[:i], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q: number out of range", s)
	}
	unit := strings.TrimSpace(t[i:])
	mult, ok := sizeUnits[unit]
	if !ok {
		return 0, fmt.Errorf("%q has unknown unit %q (use bytes, K, M, G, T, KiB, MiB, GiB, TiB, kB, MB, GB or TB)", s, unit)
	}
	if n > math.MaxInt64/mult {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return n * mult, nil
}

var sizeUnits = map[string]int64{
	"": 1, "B": 1,
	"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40, "P": 1 << 50,
	"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40, "PiB": 1 << 50,
	"kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12, "PB": 1e15,
}

// SizeValue turns a decoded size option (json.Number or string) into bytes.
func SizeValue(v any) (int64, error) {
	switch x := v.(type) {
	case string:
		return ParseSize(x)
	case fmt.Stringer:
		return ParseSize(x.String())
	case float64:
		return int64(x), nil
	case int64:
		return x, nil
	case int:
		return int64(x), nil
	}
	return 0, fmt.Errorf("size has type %T", v)
}

// CheckAbsPath accepts an absolute path without ".." components: a path that
// stays inside the tree it is resolved in.
func CheckAbsPath(p string) error {
	if !strings.HasPrefix(p, "/") {
		return fmt.Errorf("%q is not an absolute path", p)
	}
	return checkNoDotDot(p)
}

// CheckRelPath accepts a relative path without ".." components.
func CheckRelPath(p string) error {
	if p == "" {
		return errors.New("empty path")
	}
	if strings.HasPrefix(p, "/") {
		return fmt.Errorf("%q must be a relative path", p)
	}
	return checkNoDotDot(p)
}

// CheckFileName accepts a plain file name.
func CheckFileName(p string) error {
	switch {
	case p == "" || p == "." || p == "..":
		return fmt.Errorf("%q is not a file name", p)
	case strings.Contains(p, "/"):
		return fmt.Errorf("%q must be a file name without '/'", p)
	case strings.ContainsRune(p, 0):
		return fmt.Errorf("%q contains a NUL byte", p)
	}
	return nil
}

// TreePath turns a path in the tree, as osbuild's stages take it ("/etc",
// "tree:///etc", or relative to the tree's root: "etc"), into a clean
// absolute path. A path that climbs out of the tree through ".." is
// refused: osbuild's stage would reach outside the tree with it.
func TreePath(p string) (string, error) {
	q := strings.TrimPrefix(p, "tree://")
	if strings.ContainsRune(q, 0) {
		return "", fmt.Errorf("%q contains a NUL byte", p)
	}
	depth := 0
	for _, c := range strings.Split(q, "/") {
		switch c {
		case "", ".":
		case "..":
			if depth--; depth < 0 {
				return "", fmt.Errorf("%q leads out of the tree through '..' (osbuild's stage would reach outside it; osbuildkit refuses it)", p)
			}
		default:
			depth++
		}
	}
	return path.Clean("/" + q), nil
}

// OutputName turns a stage's output file name (osbuild strips a leading
// "/") into a name in the output directory. Directories are refused:
// osbuild's stage fails to write a file into a directory the output does
// not have, and ".." would leave the output.
func OutputName(p string) (string, error) {
	q := strings.TrimLeft(p, "/")
	if err := CheckFileName(q); err != nil {
		return "", fmt.Errorf("%w (an output file of its own, without directories: osbuild's stage fails to write it elsewhere)", err)
	}
	return q, nil
}

func checkNoDotDot(p string) error {
	if strings.ContainsRune(p, 0) {
		return fmt.Errorf("%q contains a NUL byte", p)
	}
	for _, c := range strings.Split(p, "/") {
		if c == ".." {
			return fmt.Errorf("%q must not contain '..'", p)
		}
	}
	return nil
}

// formatCheckers back the custom "format" keywords of our schemas.
var formatCheckers = map[string]func(string) error{
	"abspath":  CheckAbsPath,
	"relpath":  CheckRelPath,
	"filename": CheckFileName,
	"treepath": func(s string) error { _, err := TreePath(s); return err },
	"treefile": func(s string) error {
		if s == "" {
			return errors.New("empty path")
		}
		return checkNoDotDot(s)
	},
	"size":     func(s string) error { _, err := ParseSize(s); return err },
	"location": func(s string) error { _, err := ParseLocation(s); return err },
	"line": func(s string) error {
		if strings.ContainsAny(s, "\n\r") {
			return fmt.Errorf("%q has a line break: give each command as one line", s)
		}
		return nil
	},
}
