package stages

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/osbuildkit/osbuildkit/internal/securejoin"
	"github.com/osbuildkit/osbuildkit/manifest"
)

// Runtime is what a stage's Run gets inside the sandbox.
type Runtime struct {
	Spec
	// MountPaths maps a mount name to where it is mounted, for mount://.
	MountPaths map[string]string
	// DevicePaths maps a device name to its /dev node.
	DevicePaths    map[string]string
	Stdout, Stderr io.Writer
	// Env is the environment for commands; nil means the process's.
	Env []string
}

// Path resolves an absolute path inside the tree, following symlinks as
// if the tree were the root: nothing resolves outside of it.
func (rt *Runtime) Path(p string) (string, error) {
	return securejoin.Join(rt.Tree, p)
}

// InputPath returns where the named input is.
func (rt *Runtime) InputPath(name string) (string, error) {
	in, ok := rt.Inputs[name]
	if !ok {
		return "", fmt.Errorf("the stage has no input %q", name)
	}
	return in.Path, nil
}

// Command prepares a command whose output goes to the build log.
func (rt *Runtime) Command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = rt.Stdout, rt.Stderr
	cmd.Env = rt.Env
	return cmd
}

// Run runs a command, failing with its name and output's tail on error.
func (rt *Runtime) Run(name string, args ...string) error {
	return rt.Exec(exec.Command(name, args...))
}

// Exec runs cmd; the output it does not capture goes to the build log, and
// a failure carries the command line and that output's last lines. A nil
// cmd.Env is the runtime's environment. It makes Runtime a disk.Runner.
func (rt *Runtime) Exec(cmd *exec.Cmd) error {
	var tail tailBuffer
	if cmd.Stdout == nil {
		cmd.Stdout = io.MultiWriter(nonNil(rt.Stdout), &tail)
	}
	if cmd.Stderr == nil {
		cmd.Stderr = io.MultiWriter(nonNil(rt.Stderr), &tail)
	}
	if cmd.Env == nil {
		cmd.Env = rt.Env
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("running %s: %w%s", strings.Join(cmd.Args, " "), err, tail.summary())
	}
	return nil
}

// Output runs a command and returns its standard output.
func (rt *Runtime) Output(name string, args ...string) ([]byte, error) {
	var stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Env = rt.Env
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("running %s: %w: %s", name, err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// Logf writes a line to the build log.
func (rt *Runtime) Logf(format string, args ...any) {
	fmt.Fprintf(nonNil(rt.Stdout), format+"\n", args...)
}

func nonNil(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// tailBuffer keeps the last lines of a command's output for its error.
type tailBuffer struct{ b []byte }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 4096 {
		t.b = t.b[len(t.b)-4096:]
	}
	return len(p), nil
}

func (t *tailBuffer) summary() string {
	lines := strings.Split(strings.TrimSpace(string(t.b)), "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	s := strings.TrimSpace(strings.Join(lines, "\n"))
	if s == "" {
		return ""
	}
	return ":\n" + s
}

// WriteFile writes a file inside the tree atomically (temporary name, then
// rename), refusing paths that resolve outside the tree.
func (rt *Runtime) WriteFile(p string, data []byte, mode os.FileMode) error {
	full, err := rt.Path(p)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return err
	}
	return WriteFileAtomic(full, data, mode)
}

// WriteFileAtomic writes path through a temporary file in the same
// directory, renamed over it: a failed write leaves path as it was.
func WriteFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".osbuildkit-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// outputPath is where a stage writes filename, a path in the tree whose
// directory must exist (as in osbuild).
func (rt *Runtime) outputPath(filename string) (string, error) {
	name, err := manifest.TreePath(filename)
	if err != nil {
		return "", err
	}
	out, err := rt.Path(name)
	if err != nil {
		return "", err
	}
	if fi, err := os.Stat(filepath.Dir(out)); err != nil || !fi.IsDir() {
		return "", fmt.Errorf("%s: the directory %s is not in the tree: make it first (org.osbuild.mkdir)", filename, filepath.Dir(name))
	}
	return out, nil
}
