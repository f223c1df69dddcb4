package stages

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// The tree's user and group databases, read as files: names never resolve
// against the build host's.

var errNoEntry = errors.New("no such entry")

// dbEntry returns the fields of name's line in a passwd-style file.
func dbEntry(rt *Runtime, db, name string) ([]string, error) {
	p, err := rt.Path(db)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ":")
		if len(fields) >= 3 && fields[0] == name {
			return fields, nil
		}
	}
	return nil, errNoEntry
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
		fields, err := dbEntry(rt, db, x)
		if err == errNoEntry {
			return 0, fmt.Errorf("%q is not in the tree's %s", x, db)
		}
		if err != nil {
			return 0, fmt.Errorf("looking up %q: %w", x, err)
		}
		return strconv.Atoi(fields[2])
	}
	return 0, fmt.Errorf("unexpected %T", v)
}
