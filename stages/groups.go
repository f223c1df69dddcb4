package stages

import (
	"fmt"
	"strconv"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// groups is org.osbuild.groups: add groups with the tree's groupadd; a
// group that exists already is left alone.
type groups struct{}

var _ Runner = groups{}

func init() { Register(manifest.KindStage, groups{}) }

func (groups) Type() string { return "org.osbuild.groups" }

type groupsOptions struct {
	Groups map[string]struct {
		GID *int `json:"gid"`
	} `json:"groups"`
}

func (groups) Plan(st *manifest.Stage) (*Plan, error) {
	var o groupsOptions
	if err := decode(st, &o); err != nil {
		return nil, err
	}
	byGID := map[int]string{}
	for _, name := range sortedNames(o.Groups) {
		if g := o.Groups[name].GID; g != nil {
			if other, dup := byGID[*g]; dup {
				return nil, optionError(st, manifest.Path{"groups", name, "gid"}, "gid %d is also given to group %q", *g, other)
			}
			byGID[*g] = name
		}
	}
	return &Plan{Exec: &Exec{Root: RootTree}}, nil
}

func (groups) Run(rt *Runtime) error {
	var o groupsOptions
	if err := rt.Decode(&o); err != nil {
		return err
	}
	for _, name := range sortedNames(o.Groups) {
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
