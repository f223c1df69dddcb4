package stages

import (
	"fmt"
	"sort"
	"sync"

	"github.com/osbuildkit/osbuildkit/manifest"
)

type key struct {
	kind manifest.Kind
	name string
}

var (
	mu       sync.RWMutex
	registry = map[key]*Module{}
)

// register adds a module. It panics on a duplicate, like containerd's
// plugin registration: two implementations of one name is a programming
// error.
func register(m *Module) {
	mu.Lock()
	defer mu.Unlock()
	k := key{m.Kind, m.Type}
	if _, dup := registry[k]; dup {
		panic(fmt.Sprintf("stages: %s %s registered twice", m.Kind, m.Type))
	}
	registry[k] = m
}

// Lookup returns the implementation of a stage or assembler.
func Lookup(kind manifest.Kind, name string) (*Module, bool) {
	mu.RLock()
	defer mu.RUnlock()
	m, ok := registry[key{kind, name}]
	return m, ok
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
func For(st *manifest.Stage) (*Module, error) {
	m, ok := Lookup(st.Kind, st.Type)
	if !ok {
		return nil, &manifest.LocationError{Path: st.Path, Err: fmt.Errorf("%s %s is not implemented by osbuildkit", st.Kind, st.Type)}
	}
	return m, nil
}
