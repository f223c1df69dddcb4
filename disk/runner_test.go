package disk

import (
	"bytes"
	"fmt"
	"os/exec"
)

// testRunner runs programs on this machine and keeps their output.
type testRunner struct{ log bytes.Buffer }

func (r *testRunner) Exec(cmd *exec.Cmd) error {
	if cmd.Stdout == nil {
		cmd.Stdout = &r.log
	}
	if cmd.Stderr == nil {
		cmd.Stderr = &r.log
	}
	return cmd.Run()
}

func (r *testRunner) Logf(format string, args ...any) { fmt.Fprintf(&r.log, format+"\n", args...) }
