package stages

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// Spec is what the translator hands the helper for one exec stage. It is
// part of the step's cache key, so it holds nothing that changes without
// the stage changing (no manifest line numbers, no pipeline names).
type Spec struct {
	Type    string           `json:"type"`
	Kind    string           `json:"kind"`
	Options json.RawMessage  `json:"options"`
	Tree    string           `json:"tree"`
	Inputs  map[string]Input `json:"inputs,omitempty"`
	// Devices and Mounts are the stage's osbuild devices and mounts, for
	// privileged stages.
	Devices     map[string]Device `json:"devices,omitempty"`
	Mounts      []Mount           `json:"mounts,omitempty"`
	SourceEpoch *int64            `json:"source-epoch,omitempty"`
}

// Input is an input as the helper sees it.
type Input struct {
	Type   string `json:"type"`
	Origin string `json:"origin"`
	Path   string `json:"path"`
	// Refs are the references (checksums, or pipeline names) with their
	// options.
	Refs map[string]json.RawMessage `json:"refs,omitempty"`
}

// Device is an osbuild device description.
type Device struct {
	Type    string          `json:"type"`
	Parent  string          `json:"parent,omitempty"`
	Options json.RawMessage `json:"options"`
}

// Mount is an osbuild mount description.
type Mount struct {
	Name      string          `json:"name"`
	Type      string          `json:"type"`
	Source    string          `json:"source,omitempty"`
	Target    string          `json:"target,omitempty"`
	Partition int             `json:"partition,omitempty"`
	Options   json.RawMessage `json:"options"`
}

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

// Decode decodes the stage's options strictly.
func (rt *Runtime) Decode(v any) error {
	dec := json.NewDecoder(bytes.NewReader(rt.Options))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decoding %s options: %w", rt.Type, err)
	}
	return nil
}

// Path resolves an absolute path inside the tree, following symlinks as
// if the tree were the root: nothing resolves outside of it.
func (rt *Runtime) Path(p string) (string, error) {
	return SecureJoin(rt.Tree, p)
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

// WithEnv returns a copy of the runtime whose commands also get kv.
func (rt *Runtime) WithEnv(kv ...string) *Runtime {
	c := *rt
	base := rt.Env
	if base == nil {
		base = os.Environ()
	}
	c.Env = append(slices.Clip(base), kv...)
	return &c
}

// Run runs a command, failing with its name and output's tail on error.
func (rt *Runtime) Run(name string, args ...string) error {
	var tail tailBuffer
	cmd := rt.Command(name, args...)
	cmd.Stdout = io.MultiWriter(nonNil(rt.Stdout), &tail)
	cmd.Stderr = io.MultiWriter(nonNil(rt.Stderr), &tail)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("running %s: %w%s", strings.Join(append([]string{name}, args...), " "), err, tail.summary())
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
	tmp, err := os.CreateTemp(filepath.Dir(full), ".osbuildkit-*")
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
	return os.Rename(tmp.Name(), full)
}
