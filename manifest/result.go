package manifest

import "errors"

// BuildResult is osbuild's machine-readable result of a build or of its
// command line without one (`osbuild --json`): success with each
// pipeline's ID, or the error, attributed to its stage when a stage failed.
type BuildResult struct {
	Type      string            `json:"type"`
	Success   bool              `json:"success"`
	Metadata  *struct{}         `json:"metadata,omitempty"`
	Pipelines map[string]string `json:"pipelines,omitempty"`
	Error     *BuildError       `json:"error,omitempty"`
}

// BuildError is a failed build's error object.
type BuildError struct {
	Type    string        `json:"type"`
	Message string        `json:"message"`
	Details *ErrorDetails `json:"details,omitempty"`
}

// ErrorDetails names the stage that failed.
type ErrorDetails struct {
	Stage FailedStage `json:"stage"`
}

// FailedStage identifies a stage in a BuildResult.
type FailedStage struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Pipeline string `json:"pipeline"`
	Index    int    `json:"index"`
}

// StageError is a build error attributed to a stage of the manifest.
type StageError interface {
	error
	FailedStage() (pipeline string, st *Stage)
}

// Succeeded is the result of a successful build of m.
func (m *Manifest) Succeeded() BuildResult {
	ids := map[string]string{}
	for _, pl := range m.Pipelines {
		ids[pl.Name] = pl.ID
	}
	return BuildResult{Type: "result", Success: true, Metadata: &struct{}{}, Pipelines: ids}
}

// Failed is the result of a build that failed with err.
func Failed(err error) BuildResult {
	be := &BuildError{Type: "org.osbuild.error.build", Message: err.Error()}
	var se StageError
	if errors.As(err, &se) {
		pipeline, st := se.FailedStage()
		be.Type = "org.osbuild.error.stage"
		be.Details = &ErrorDetails{Stage: FailedStage{ID: st.ID, Type: st.Type, Pipeline: pipeline, Index: st.Index}}
	}
	return BuildResult{Type: "error", Error: be}
}
