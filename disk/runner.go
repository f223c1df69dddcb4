package disk

import (
	"os"
	"os/exec"
)

// Runner runs the programs a disk is made with and writes the build log.
type Runner interface {
	// Exec runs cmd. Standard output and error that cmd does not set go
	// to the build log, and a failure carries their last lines. A nil
	// cmd.Env means the runner's environment.
	Exec(cmd *exec.Cmd) error
	// Logf writes a line to the build log.
	Logf(format string, args ...any)
}

// run runs a program through r.
func run(r Runner, name string, args ...string) error {
	return r.Exec(exec.Command(name, args...))
}

// withEnv is cmd with kv added to this process's environment.
func withEnv(cmd *exec.Cmd, kv ...string) *exec.Cmd {
	cmd.Env = append(os.Environ(), kv...)
	return cmd
}
