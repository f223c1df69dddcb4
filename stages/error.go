package stages

import (
	"errors"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// errorStage is org.osbuild.error: fail with exit status returncode
// (default 255). Useful to test failure handling.
type errorStage struct{}

var _ Runner = errorStage{}

func init() { Register(manifest.KindStage, errorStage{}) }

func (errorStage) Type() string                        { return "org.osbuild.error" }
func (errorStage) Plan(*manifest.Stage) (*Plan, error) { return execInBuildroot(), nil }

func (errorStage) Run(rt *Runtime) error {
	var o struct {
		ReturnCode *int `json:"returncode"`
	}
	if err := rt.Decode(&o); err != nil {
		return err
	}
	code := 255
	if o.ReturnCode != nil {
		code = *o.ReturnCode
	}
	return &ExitError{Code: code, Err: errors.New("org.osbuild.error: failing on purpose")}
}
