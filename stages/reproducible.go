package stages

import (
	"os"
)

// unreproducible are the files an install writes that differ from one
// build to the next (logs with times, ldconfig's cache of mtimes): the
// files mmdebstrap removes from every tree it makes, so a debootstrap
// tree never has them.
var unreproducible = []string{
	"/var/log/dpkg.log", "/var/log/apt/history.log", "/var/log/apt/term.log", "/var/log/alternatives.log",
	"/var/cache/ldconfig/aux-cache", "/var/log/apt/eipp.log.xz", "/var/lib/dbus/machine-id",
}

// removeUnreproducible removes them, for a pipeline with a source-epoch.
func removeUnreproducible(rt *Runtime) {
	for _, f := range unreproducible {
		if p, err := rt.Path(f); err == nil {
			os.Remove(p)
		}
	}
}
