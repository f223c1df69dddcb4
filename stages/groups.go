package stages

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
)

// org.osbuild.groups: add groups with the tree's groupadd, as osbuild
// does: a group that exists, or a gid in use, fails the stage unless
// "force" is set (groupadd --force: an existing group succeeds, a gid in
// use gives the group another).
func init() {
	Define(Definition[groupsOptions]{Type: "org.osbuild.groups", Plan: planInTree[groupsOptions], Run: runGroups})
}

type groupsOptions struct {
	Groups map[string]group `json:"groups"`
	Force  bool             `json:"force"`
}

type group struct {
	GID *float64 `json:"gid"`
}

// UnmarshalJSON ignores keys osbuild's schema lets through unchecked.
func (g *group) UnmarshalJSON(b []byte) error {
	type plain group
	return json.Unmarshal(b, (*plain)(g))
}

func runGroups(rt *Runtime, o *groupsOptions) error {
	for _, name := range slices.Sorted(maps.Keys(o.Groups)) {
		var args []string
		if g := o.Groups[name].GID; g != nil {
			args = append(args, "-g", strconv.FormatFloat(*g, 'f', -1, 64))
		}
		if o.Force {
			args = append(args, "--force")
		}
		if err := rt.Run("groupadd", append(args, name)...); err != nil {
			return fmt.Errorf("group %s: %w", name, err)
		}
	}
	return nil
}
