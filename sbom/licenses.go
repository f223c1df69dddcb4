package sbom

import "strings"

// debianToSPDX maps the licence short names Debian's copyright format
// uses most to SPDX identifiers.
var debianToSPDX = map[string]string{
	"gpl-1+": "GPL-1.0-or-later", "gpl-2": "GPL-2.0-only", "gpl-2+": "GPL-2.0-or-later",
	"gpl-3": "GPL-3.0-only", "gpl-3+": "GPL-3.0-or-later",
	"lgpl-2": "LGPL-2.0-only", "lgpl-2+": "LGPL-2.0-or-later", "lgpl-2.1": "LGPL-2.1-only",
	"lgpl-2.1+": "LGPL-2.1-or-later", "lgpl-3": "LGPL-3.0-only", "lgpl-3+": "LGPL-3.0-or-later",
	"bsd-2-clause": "BSD-2-Clause", "bsd-3-clause": "BSD-3-Clause", "bsd-4-clause": "BSD-4-Clause",
	"expat": "MIT", "mit": "MIT", "isc": "ISC", "zlib": "Zlib", "apache-2.0": "Apache-2.0",
	"artistic": "Artistic-1.0-Perl", "mpl-2.0": "MPL-2.0", "cc0-1.0": "CC0-1.0",
}

// spdxLicenses is the SPDX expression of Debian licence names (every one
// of which applies to some files: AND), when each maps; a name with
// "or" or "and" in it is an expression of its own.
func spdxLicenses(names []string) (string, bool) {
	if len(names) == 0 {
		return "", false
	}
	var parts []string
	for _, n := range names {
		expr, ok := spdxExpression(n)
		if !ok {
			return "", false
		}
		parts = append(parts, expr)
	}
	if len(parts) == 1 {
		return parts[0], true
	}
	return strings.Join(parts, " AND "), true
}

// spdxExpression maps one Debian licence field ("GPL-2+ or Artistic").
func spdxExpression(name string) (string, bool) {
	words := strings.Fields(name)
	var out []string
	for i, w := range words {
		if i%2 == 1 {
			op := strings.ToUpper(w)
			if op != "OR" && op != "AND" {
				return "", false
			}
			out = append(out, op)
			continue
		}
		id, ok := debianToSPDX[strings.ToLower(strings.TrimSuffix(w, ","))]
		if !ok {
			return "", false
		}
		out = append(out, id)
	}
	if len(out)%2 == 0 {
		return "", false
	}
	if len(out) == 1 {
		return out[0], true
	}
	return "(" + strings.Join(out, " ") + ")", true
}
