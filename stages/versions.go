package stages

import (
	"sort"
	"strconv"
)

// sortVersions sorts kernel versions newest first, comparing digit runs as
// numbers ("6.1.0-10" after "6.1.0-9"), like sort -V.
func sortVersions(v []string) {
	sort.SliceStable(v, func(i, j int) bool { return versionLess(v[j], v[i]) })
}

func versionLess(a, b string) bool {
	for a != "" && b != "" {
		ca, cb := a[0], b[0]
		if isDigit(ca) && isDigit(cb) {
			na, ra := digits(a)
			nb, rb := digits(b)
			x, _ := strconv.ParseUint(na, 10, 64)
			y, _ := strconv.ParseUint(nb, 10, 64)
			if x != y {
				return x < y
			}
			a, b = ra, rb
			continue
		}
		if ca != cb {
			return ca < cb
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func digits(s string) (string, string) {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return s[:i], s[i:]
}
