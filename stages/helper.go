package stages

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/osbuildkit/osbuildkit/internal/standin"
	"github.com/osbuildkit/osbuildkit/manifest"
)

// The helper contract: how an exec step hands one stage to the osbuildkit
// binary inside the build sandbox. Package llb builds the step from these
// names; the binary's "stage" command (RunHelper) reads them back. Paths
// follow osbuild's layout of a stage's environment.
const (
	// HelperDir holds the helper, mounted read-only; HelperPath is it.
	HelperDir  = "/run/osbuild/bin"
	HelperPath = HelperDir + "/osbuildkit"
	// HelperCommand is the helper's subcommand that runs a stage.
	HelperCommand = "stage"
	// TreeDir is where a buildroot stage finds the pipeline's tree (a
	// tree stage's tree is "/").
	TreeDir = "/run/osbuild/tree"
	// InputsDir/NAME is where input NAME is mounted, read-only.
	InputsDir = "/run/osbuild/inputs"
	// MountRoot is where a privileged stage's mounts are assembled, each
	// at its target below it, as osbuild does.
	MountRoot = "/run/osbuild/mounts"
	// SpecEnv carries the stage's Spec as JSON, or "@" and the path of a
	// file holding it (SpecDir/SpecFile) when it is larger than
	// MaxEnvSpec: the kernel caps one variable at 128 KiB.
	SpecEnv    = "OSBUILDKIT_STAGE_SPEC"
	SpecDir    = "/run/osbuild/spec"
	SpecFile   = "stage.json"
	MaxEnvSpec = 64 << 10
	// ReportDir/ReportFile is where a stage whose plan asks for it
	// (Exec.Report) writes its findings, as JSON, for the build to read
	// back as warnings: an output of the step, so cached with it.
	ReportDir  = "/run/osbuild/report"
	ReportFile = "findings.json"
	// SumsFile holds, beside the findings, the block digests of the disk
	// image the step wrote (blocksum.Encode), when it has them.
	SumsFile = "blocksums"
	// LockDir/LockFile is where a stage resolved for `osbuildkit lock`
	// writes the packages it would install (LockedPackage, as JSON).
	LockDir  = "/run/osbuild/lock"
	LockFile = "packages.json"
	// ScratchDir is a tmpfs a stage whose plan asks for it (Exec.Scratch)
	// may write to; nothing in it is kept.
	ScratchDir = "/run/osbuild/scratch"
	// BuildrootDir is where Exec.NativeShell mounts the host buildroot.
	BuildrootDir = standin.BuildrootDir
	// BaseDiskDir/BaseFile is the base of an incremental disk assembly
	// (Exec.Incremental), which its own step wrote to BaseFile in its
	// tree; BaseTreeDir is the tree it was made of.
	BaseDiskDir = "/run/osbuild/base-disk"
	BaseFile    = "base.raw"
	BaseTreeDir = "/run/osbuild/base-tree"
	// ExecPath is the PATH a stage runs with.
	ExecPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)

// HelperArgs is the command line of the step that runs a stage.
func HelperArgs(stageType string) []string { return []string{HelperPath, HelperCommand, stageType} }

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
	// Lock, when set, asks the stage to resolve rather than run: it
	// writes what it would install to Lock/LockFile (Definition.Resolve).
	Lock string `json:"lock,omitempty"`
	// Base asks a disk stage (Exec.Incremental) for the base of an
	// incremental assembly only: BaseFile in the tree, from the tree
	// input as it was after its pipeline's last Bulk stage.
	Base bool `json:"base,omitempty"`
	// BaseDisk and BaseTree, when set, are that base and the tree it was
	// made of: the disk stage assembles onto it.
	BaseDisk string `json:"base-disk,omitempty"`
	BaseTree string `json:"base-tree,omitempty"`
	// BareRoot, when set, is where the buildroot is mounted read-only in
	// an otherwise empty root (Exec.BareRoot): the helper links the root
	// to it before the stage runs.
	BareRoot string `json:"bare-root,omitempty"`
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

// EncodeSpec is the value of SpecEnv for spec and, when the spec is too
// large for the environment, the content of the file that value names.
func EncodeSpec(spec Spec) (env string, file []byte, err error) {
	b, err := json.Marshal(spec)
	if err != nil {
		return "", nil, err
	}
	if len(b) <= MaxEnvSpec {
		return string(b), nil, nil
	}
	return "@" + SpecDir + "/" + SpecFile, b, nil
}

// ReadSpec reads the spec the step was given.
func ReadSpec() (Spec, error) {
	var spec Spec
	raw := os.Getenv(SpecEnv)
	if name, ok := strings.CutPrefix(raw, "@"); ok {
		b, err := os.ReadFile(name)
		if err != nil {
			return spec, fmt.Errorf("reading the spec: %w", err)
		}
		raw = string(b)
	}
	if raw == "" {
		return spec, fmt.Errorf("%s is not set; this command runs inside a build", SpecEnv)
	}
	if err := json.Unmarshal([]byte(raw), &spec); err != nil {
		return spec, fmt.Errorf("decoding the spec: %w", err)
	}
	return spec, nil
}

// ExitError makes the helper exit with a given status.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// RunHelper runs the stage the step's spec names and returns the exit
// status: 0, the stage's own (ExitError), 1 when it failed, 2 when the
// helper was not started by a build.
func RunHelper(stdout, stderr io.Writer) int {
	spec, err := ReadSpec()
	if err != nil {
		fmt.Fprintf(stderr, "osbuildkit stage: %v\n", err)
		if os.Getenv(SpecEnv) == "" {
			return 2
		}
		return 1
	}
	m, ok := Lookup(manifest.Kind(spec.Kind), spec.Type)
	if !ok || !m.Runs() {
		fmt.Fprintf(stderr, "osbuildkit stage: %s %s has no helper implementation\n", spec.Kind, spec.Type)
		return 1
	}
	if spec.BareRoot != "" {
		if err := linkBareRoot("/", spec.BareRoot); err != nil {
			fmt.Fprintf(stderr, "osbuildkit stage: %v\n", err)
			return 1
		}
	}
	rt := &Runtime{Spec: spec, Stdout: stdout, Stderr: stderr}
	if os.Getenv(BreakShellEnv) == "1" {
		return breakShell(rt, os.Stdin)
	}
	run := m.Run
	if spec.Lock != "" {
		run = m.Resolve
	}
	if err := run(rt); err != nil {
		fmt.Fprintf(stderr, "osbuildkit: %s: %v\n", spec.Type, err)
		var ee *ExitError
		if errors.As(err, &ee) {
			return ee.Code
		}
		return 1
	}
	return 0
}
