package stages

import (
	"fmt"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// ExitError makes the helper exit with a given status.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// optionError is a located problem with a stage's options, found by Plan.
func optionError(st *manifest.Stage, path manifest.Path, format string, args ...any) error {
	return &manifest.LocationError{Path: append(st.OptionsPath(), path...), Err: fmt.Errorf(format, args...)}
}

// decode decodes a stage's options, locating a failure at the options.
func decode(st *manifest.Stage, v any) error {
	if err := st.DecodeOptions(v); err != nil {
		return &manifest.LocationError{Path: st.OptionsPath(), Err: err}
	}
	return nil
}

// exec is the Plan of a stage that runs the helper in the buildroot with
// the network off.
func execInBuildroot() *Plan { return &Plan{Exec: &Exec{Root: RootBuildroot}} }
