package stages

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// chown is org.osbuild.chown: change owner and group. Names resolve in the
// tree's /etc/passwd and /etc/group, never the build host's.
type chown struct{}

var _ Runner = chown{}

func init() { Register(manifest.KindStage, chown{}) }

func (chown) Type() string { return "org.osbuild.chown" }

type chownOptions struct {
	Items map[string]struct {
		User      any  `json:"user"`
		Group     any  `json:"group"`
		Recursive bool `json:"recursive"`
	} `json:"items"`
}

func (chown) Plan(st *manifest.Stage) (*Plan, error) {
	var o chownOptions
	if err := decode(st, &o); err != nil {
		return nil, err
	}
	return execInBuildroot(), nil
}

func (chown) Run(rt *Runtime) error {
	var o chownOptions
	if err := rt.Decode(&o); err != nil {
		return err
	}
	for _, p := range sortedNames(o.Items) {
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

// resolveID turns a user or group (name or number) into an ID using the
// tree's database file; -1 (unchanged) when v is nil.
func resolveID(rt *Runtime, db string, v any) (int, error) {
	switch x := v.(type) {
	case nil:
		return -1, nil
	case float64:
		return int(x), nil
	case string:
		if n, err := strconv.Atoi(x); err == nil {
			return n, nil
		}
		return lookupName(rt, db, x)
	}
	return 0, fmt.Errorf("unexpected %T", v)
}

func lookupName(rt *Runtime, db, name string) (int, error) {
	fields, err := dbEntry(rt, db, name)
	if err == errNoEntry {
		return 0, fmt.Errorf("%q is not in the tree's %s", name, db)
	}
	if err != nil {
		return 0, fmt.Errorf("looking up %q: %w", name, err)
	}
	return strconv.Atoi(fields[2])
}
