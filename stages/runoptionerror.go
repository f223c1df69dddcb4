package stages

import (
	"fmt"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// ExitBadOption is the helper's exit status when a stage finds, while it
// runs, that an option names something the tree does not have (sysexits'
// EX_DATAERR): the build then reports bad input, not a failed tool.
const ExitBadOption = 65

// OptionError is a problem with the option at path (below the stage's
// options) that only the tree shows, found while the stage runs.
func (rt *Runtime) OptionError(path manifest.Path, format string, args ...any) error {
	opt := append(manifest.Path{"options"}, path...)
	return &ExitError{Code: ExitBadOption, Err: fmt.Errorf("%s: %s", opt, fmt.Sprintf(format, args...))}
}
