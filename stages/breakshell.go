package stages

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
)

// BreakShellEnv, set to 1 in a step's environment, makes the helper open
// an interactive shell where the stage would run, instead of running it:
// --break's shell. The stage's devices and mounts are set up first, as the
// stage has them, and torn down when the shell ends.
const BreakShellEnv = "OSBUILDKIT_BREAK_SHELL"

// breakShell sets up the stage's devices and mounts, says where they are,
// and runs an interactive shell on the helper's terminal; its exit status
// is the helper's.
func breakShell(rt *Runtime, stdin io.Reader) int {
	detach, err := rt.Attach()
	if err != nil {
		fmt.Fprintf(rt.Stderr, "osbuildkit: %s: setting up the stage's devices and mounts: %v\n", rt.Type, err)
		detach = func() {}
	}
	defer detach()
	for _, line := range attachedLines(rt) {
		fmt.Fprintln(rt.Stderr, line)
	}
	// bash without its startup files, which would set their own prompt
	// over --break's.
	sh, args := "/bin/sh", []string{"-i"}
	if _, err := os.Stat("/bin/bash"); err == nil {
		sh, args = "/bin/bash", []string{"--norc", "-i"}
	}
	cmd := exec.Command(sh, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, rt.Stdout, rt.Stderr
	for _, e := range os.Environ() { // the stage's helper runs the stage from this shell
		if !strings.HasPrefix(e, BreakShellEnv+"=") {
			cmd.Env = append(cmd.Env, e)
		}
	}
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return exit.ExitCode()
	case err != nil:
		fmt.Fprintf(rt.Stderr, "osbuildkit: %s: %v\n", sh, err)
		return 1
	}
	return 0
}

// attachedLines say which devices and mounts the stage has, and where.
func attachedLines(rt *Runtime) []string {
	var out []string
	for _, kind := range []struct {
		what  string
		paths map[string]string
	}{{"device", rt.DevicePaths}, {"mount", rt.MountPaths}} {
		names := make([]string, 0, len(kind.paths))
		for n := range kind.paths {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			out = append(out, fmt.Sprintf("osbuildkit: the stage's %s %s is %s", kind.what, n, kind.paths[n]))
		}
	}
	return out
}
