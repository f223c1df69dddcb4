package stages

import (
	"fmt"
	"sort"
	"sync"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// Stage is one stage or assembler implementation.
type Stage interface {
	// Type is the osbuild name, e.g. "org.osbuild.mkdir".
	Type() string
	// Plan checks the stage's options beyond the schema and says how it
	// runs. Errors should be *manifest.LocationError where a place in the
	// manifest is at fault.
	Plan(st *manifest.Stage) (*Plan, error)
}

// Runner is a Stage whose Plan has an Exec: the helper calls Run inside the
// sandbox.
type Runner interface {
	Stage
	Run(rt *Runtime) error
}

type key struct {
	kind manifest.Kind
	name string
}

var (
	mu       sync.RWMutex
	registry = map[key]Stage{}
)

// Register adds a stage (kind manifest.KindStage) or assembler
// implementation. It panics on a duplicate, like containerd's plugin
// registration: two implementations of one name is a programming error.
func Register(kind manifest.Kind, s Stage) {
	mu.Lock()
	defer mu.Unlock()
	k := key{kind, s.Type()}
	if _, dup := registry[k]; dup {
		panic(fmt.Sprintf("stages: %s %s registered twice", kind, s.Type()))
	}
	registry[k] = s
}

// Lookup returns the implementation of a stage or assembler.
func Lookup(kind manifest.Kind, name string) (Stage, bool) {
	mu.RLock()
	defer mu.RUnlock()
	s, ok := registry[key{kind, name}]
	return s, ok
}

// Registered lists the registered names of a kind, sorted.
func Registered(kind manifest.Kind) []string {
	mu.RLock()
	defer mu.RUnlock()
	var out []string
	for k := range registry {
		if k.kind == kind {
			out = append(out, k.name)
		}
	}
	sort.Strings(out)
	return out
}

// For returns the implementation of a manifest stage, or a located error.
func For(st *manifest.Stage) (Stage, error) {
	s, ok := Lookup(st.Kind, st.Type)
	if !ok {
		return nil, &manifest.LocationError{Path: st.Path, Err: fmt.Errorf("%s %s is not implemented by osbuildkit", st.Kind, st.Type)}
	}
	return s, nil
}
