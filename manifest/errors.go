package manifest

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// LocationError is a problem at a place in the manifest.
type LocationError struct {
	File string
	Path Path
	Position
	Err error
}

func (e *LocationError) Error() string {
	loc := e.Path.String()
	if e.Line > 0 {
		loc += fmt.Sprintf(" (%s:%d:%d)", e.File, e.Line, e.Column)
	}
	return loc + ": " + e.Err.Error()
}

func (e *LocationError) Unwrap() error { return e.Err }

// ValidationError lists every problem found in a manifest. Its text follows
// osbuild's validation output, with the line and column of each problem.
type ValidationError struct {
	File   string
	Errors []*LocationError
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s has errors:\n", e.File)
	for _, le := range e.Errors {
		b.WriteString("\n")
		b.WriteString(le.Path.String())
		if le.Line > 0 {
			fmt.Fprintf(&b, " (line %d, column %d)", le.Line, le.Column)
		}
		b.WriteString(":\n")
		for _, line := range strings.Split(le.Err.Error(), "\n") {
			b.WriteString("  " + line + "\n")
		}
	}
	return b.String()
}

// Unwrap exposes the individual problems to errors.Is and errors.As.
func (e *ValidationError) Unwrap() []error {
	out := make([]error, len(e.Errors))
	for i, le := range e.Errors {
		out[i] = le
	}
	return out
}

// Result is osbuild's machine-readable validation result.
type Result struct {
	Type    string        `json:"type,omitempty"`
	Title   string        `json:"title,omitempty"`
	Success bool          `json:"success"`
	Errors  []ResultError `json:"errors,omitempty"`
}

// ResultError is one problem in a Result; Line and Column are ours.
type ResultError struct {
	Message string `json:"message"`
	Path    []any  `json:"path"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
}

// Result converts the error into osbuild's validation result object.
func (e *ValidationError) Result() Result {
	r := Result{
		Type:  "https://osbuild.org/validation-error",
		Title: "JSON Schema validation failed",
	}
	for _, le := range e.Errors {
		r.Errors = append(r.Errors, ResultError{
			Message: le.Err.Error(), Path: le.Path.JSON(), Line: le.Line, Column: le.Column,
		})
	}
	return r
}

// ResultOf returns the validation result for the outcome of Load: success
// for nil, the problems for a *ValidationError, false otherwise.
func ResultOf(err error) (Result, bool) {
	if err == nil {
		return Result{Success: true}, true
	}
	var ve *ValidationError
	if errors.As(err, &ve) {
		return ve.Result(), true
	}
	// A stage's own checks (disk layouts, conflicting outputs) find one
	// problem at a time.
	var le *LocationError
	if errors.As(err, &le) {
		return Result{Type: "https://osbuild.org/validation-error", Title: "Stage options check failed",
			Errors: []ResultError{{Message: le.Err.Error(), Path: le.Path.JSON(), Line: le.Line, Column: le.Column}}}, true
	}
	return Result{}, false
}

// MarshalJSON keeps the result's field order stable.
func (r Result) MarshalJSON() ([]byte, error) {
	type plain Result
	return json.Marshal(plain(r))
}

// UnknownModuleError reports a stage, assembler, input, device, mount or
// source type that has no schema, with the closest known names.
type UnknownModuleError struct {
	Kind        string
	Name        string
	Suggestions []string
	// InOsbuild is set when osbuild has the module and osbuildkit does
	// not implement it.
	InOsbuild bool
}

func (e *UnknownModuleError) Error() string {
	msg := fmt.Sprintf("could not find schema information for '%s'", e.Name)
	if e.InOsbuild {
		return msg + fmt.Sprintf(" (an osbuild %s that osbuildkit does not implement; docs/stages.md lists the ones it does)", e.Kind)
	}
	if len(e.Suggestions) > 0 {
		msg += fmt.Sprintf(" (unknown %s; did you mean '%s'?)", e.Kind, strings.Join(e.Suggestions, "' or '"))
	}
	return msg
}

// problems collects LocationErrors during loading.
type problems struct {
	file *File
	list []*LocationError
}

func (p *problems) add(path Path, err error) {
	p.list = append(p.list, &LocationError{File: p.file.Name, Path: path, Err: err})
}

func (p *problems) addf(path Path, format string, args ...any) {
	p.add(path, fmt.Errorf(format, args...))
}

func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	seen := map[string]bool{}
	var out []*LocationError
	for _, le := range p.list {
		key := le.Path.String() + "\x00" + le.Err.Error()
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, le)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path.less(out[j].Path) })
	// Positions cost a scan of the file each; a flood of errors needs
	// only the first ones located.
	for i, le := range out {
		if i >= 100 {
			break
		}
		if !le.known() {
			le.Position = p.file.Position(le.Path)
		}
	}
	return &ValidationError{File: p.file.Name, Errors: out}
}
