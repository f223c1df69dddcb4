package manifest

import "sort"

// Suggest returns the known names closest to name by edit distance, when
// they are close enough to be a likely typo.
func Suggest(name string, known []string) []string {
	type cand struct {
		name string
		d    int
	}
	var cs []cand
	for _, k := range known {
		// Names share long prefixes ("org.osbuild."): judge the rest.
		a, b := trimCommonPrefix(name, k)
		d := editDistance(a, b)
		limit := max(len(a), len(b))/3 + 1
		if d <= limit {
			cs = append(cs, cand{k, d})
		}
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].d < cs[j].d })
	var out []string
	for i, c := range cs {
		if i == 3 || c.d > cs[0].d {
			break
		}
		out = append(out, c.name)
	}
	return out
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

func trimCommonPrefix(a, b string) (string, string) {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	// Keep the prefix's last segment in play so "mkdri"/"mkdir" compare whole.
	for i > 0 && a[i-1] != '.' && a[i-1] != '/' && a[i-1] != '-' {
		i--
	}
	return a[i:], b[i:]
}
