package stages

import "errors"

// org.osbuild.error: fail with exit status returncode
// (default 255). Useful to test failure handling.
func init() {
	Define(Definition[errorOptions]{Type: "org.osbuild.error", Run: runError})
}

type errorOptions struct {
	ReturnCode *int `json:"returncode"`
}

func runError(_ *Runtime, o *errorOptions) error {
	code := 255
	if o.ReturnCode != nil {
		code = *o.ReturnCode
	}
	return &ExitError{Code: code, Err: errors.New("org.osbuild.error: failing on purpose")}
}
