package stages

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
)

// org.osbuild.chown: change owner and group. Names resolve in the tree's
// /etc/passwd and /etc/group, never the build host's.
func init() {
	Define(Definition[chownOptions]{Type: "org.osbuild.chown", Run: runChown})
}

type chownOptions struct {
	Items map[string]chownItem `json:"items"`
}

type chownItem struct {
	User      any  `json:"user"`
	Group     any  `json:"group"`
	Recursive bool `json:"recursive"`
}

// UnmarshalJSON ignores keys osbuild's schema lets through unchecked.
func (i *chownItem) UnmarshalJSON(b []byte) error {
	type plain chownItem
	return json.Unmarshal(b, (*plain)(i))
}

func runChown(rt *Runtime, o *chownOptions) error {
	for _, p := range slices.Sorted(maps.Keys(o.Items)) {
		item := o.Items[p]
		uid, err := resolveID(rt, "/etc/passwd", item.User)
		if err != nil {
			return fmt.Errorf("%s: user: %w", p, err)
		}
		gid, err := resolveID(rt, "/etc/group", item.Group)
		if err != nil {
			return fmt.Errorf("%s: group: %w", p, err)
		}
		full, err := rt.Path(p)
		if err != nil {
			return err
		}
		if !item.Recursive {
			if err := os.Lchown(full, uid, gid); err != nil {
				return err
			}
			continue
		}
		err = filepath.WalkDir(full, func(q string, _ fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(q, uid, gid)
		})
		if err != nil {
			return err
		}
	}
	return nil
}
