package stages

import (
	"os"
	"os/exec"
	"path/filepath"

	"github.com/osbuildkit/osbuildkit/disk"
)

// unsynced is a disk.Runner whose programs' fsync and fdatasync do
// nothing (libeatmydata, preloaded), as dpkg's unsafe-io in the apt
// stage: a step's files are BuildKit's to commit, and a step that fails
// is thrown away. mkfs.fat's fsync alone wrote the 700 MB a disk step had
// just copied (1.6 s, where the step is otherwise done in seconds), and
// mkfs.ext4, debugfs and qemu-img each flush at the end. Without the
// library (a build pipeline's own buildroot may lack it), r is unchanged.
type unsynced struct {
	*Runtime
	lib string
}

// libEatMyData is where Debian's eatmydata package puts the library.
var libEatMyData = "/usr/lib/*/libeatmydata.so*"

func withoutSync(rt *Runtime) disk.Runner {
	libs, _ := filepath.Glob(libEatMyData)
	if len(libs) == 0 {
		return rt
	}
	return &unsynced{Runtime: rt, lib: libs[0]}
}

func (u *unsynced) Exec(cmd *exec.Cmd) error {
	env := cmd.Env
	if env == nil {
		env = u.Runtime.Env
	}
	if env == nil {
		env = os.Environ()
	}
	cmd.Env = append(env[:len(env):len(env)], "LD_PRELOAD="+u.lib)
	return u.Runtime.Exec(cmd)
}
