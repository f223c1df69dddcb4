package stages

import (
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// org.osbuild.groups: add groups with the tree's groupadd; a group that
// exists already is left alone.
func init() {
	Define(Definition[groupsOptions]{Type: "org.osbuild.groups", Plan: planGroups, Run: runGroups})
}

type groupsOptions struct {
	Groups map[string]struct {
		GID *int `json:"gid"`
	} `json:"groups"`
}

func planGroups(c *Context, o *groupsOptions) (*Plan, error) {
	byGID := map[int]string{}
	for _, name := range slices.Sorted(maps.Keys(o.Groups)) {
		if g := o.Groups[name].GID; g != nil {
			if other, dup := byGID[*g]; dup {
				return nil, c.OptionError(manifest.Path{"groups", name, "gid"}, "gid %d is also given to group %q", *g, other)
			}
			byGID[*g] = name
		}
	}
	return &Plan{Exec: &Exec{Root: RootTree}}, nil
}

func runGroups(rt *Runtime, o *groupsOptions) error {
	for _, name := range slices.Sorted(maps.Keys(o.Groups)) {
		exists, err := dbHas(rt, "/etc/group", name)
		if err != nil {
			return err
		}
		if exists {
			rt.Logf("group %s exists", name)
			continue
		}
		args := []string{}
		if g := o.Groups[name].GID; g != nil {
			args = append(args, "-g", strconv.Itoa(*g))
		}
		if err := rt.Run("groupadd", append(args, name)...); err != nil {
			return fmt.Errorf("group %s: %w", name, err)
		}
	}
	return nil
}
