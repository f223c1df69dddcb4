package stages

import "strings"

// packageName strips apt's version, release and architecture qualifiers;
// it returns "" for globs, patterns and removals, which are not checked.
func packageName(p string) string {
	if strings.ContainsAny(p, "*?[~^") || strings.HasSuffix(p, "-") || strings.HasSuffix(p, "+") {
		return ""
	}
	if i := strings.IndexAny(p, "=/:"); i >= 0 {
		p = p[:i]
	}
	return p
}
