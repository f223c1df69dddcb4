package llb

import (
	"fmt"
	"strings"

	bkllb "github.com/moby/buildkit/client/llb"

	"github.com/osbuildkit/osbuildkit/manifest"
	"github.com/osbuildkit/osbuildkit/stages"
)

// Break is where --break stops: the stage, and a state whose last op is
// the exec the stage runs (for a stage of file operations only, a shell in
// the host buildroot with the tree at TreeDir). Its mounts, arguments and
// environment are the shell's; it is never solved itself, so a break at a
// stage that is in the cache stops there all the same.
type Break struct {
	Pipeline string
	Stage    *manifest.Stage
	State    bkllb.State
	// Exec says the stage runs the helper; false for file operations.
	Exec bool
}

func (b *Break) String() string {
	return fmt.Sprintf("[%s] %s (%s)", b.Pipeline, b.Stage.Type, b.Stage.Path)
}

// breakAt records the break before st, when --break selects it and no
// earlier stage took it.
func (c *compiler) breakAt(pl *manifest.Pipeline, st *manifest.Stage) bool {
	return c.opt.Break != "" && c.result.Break == nil && st.Selects(pl.Name, c.opt.Break)
}

// fileStageShell is the shell of a stage without an exec: the host
// buildroot, the tree the stages before it left at TreeDir.
func (c *compiler) fileStageShell(pl *manifest.Pipeline, st *manifest.Stage, tree bkllb.State) bkllb.State {
	run := c.hostBuildroot().Run(bkllb.Args([]string{"/bin/sh"}), bkllb.Dir("/"), bkllb.AddEnv("PATH", stages.ExecPath),
		bkllb.Network(bkllb.NetModeNone), bkllb.WithCustomNamef("[%s] %s (--break)", pl.Name, st.Type))
	return run.AddMount(TreeDir, tree, noContentHash)
}

// noBreak is the error of a --break that selects no stage the build runs.
func noBreak(m *manifest.Manifest, sel string, exports []string) error {
	var names []string
	for _, pl := range m.Order(exports...) {
		var types []string
		for _, st := range pl.Stages {
			types = append(types, st.Type)
		}
		names = append(names, pl.Name+" ("+strings.Join(types, ", ")+")")
	}
	return fmt.Errorf("--break %q selects no stage of this build; give a pipeline name, a stage type or a stage ID (8 characters or more) of: %s", sel, strings.Join(names, "; "))
}
