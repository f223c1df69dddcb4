package stages

import (
	"bytes"
	"encoding/json"
	"os"
	"syscall"
	"testing"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// runtimeFor builds a Runtime on a temporary tree for helper-side tests.
func runtimeFor(t *testing.T, typ string, options any) (*Runtime, *bytes.Buffer) {
	t.Helper()
	raw, err := json.Marshal(options)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	return &Runtime{Spec: Spec{Type: typ, Kind: string(manifest.KindStage), Options: raw, Tree: t.TempDir()}, Stdout: &log, Stderr: &log}, &log
}

// run runs a stage's helper side as the helper does: the registered
// module decodes rt's options and runs.
func run(t *testing.T, rt *Runtime) error {
	t.Helper()
	m, ok := Lookup(manifest.Kind(rt.Kind), rt.Type)
	if !ok {
		t.Fatalf("%s is not registered", rt.Type)
	}
	return m.Run(rt)
}

// loadStages loads a manifest of one pipeline "os" with the given stages.
func loadStages(t *testing.T, stagesJSON string) (*manifest.Manifest, error) {
	t.Helper()
	return manifest.Load("m.json", []byte(`{"version": "2", "pipelines": [{"name": "os", "stages": [`+stagesJSON+`]}]}`))
}

// planOf plans the first stage of a one-pipeline manifest.
func planOf(t *testing.T, stage string) (*Plan, error) {
	t.Helper()
	m, err := loadStages(t, stage)
	if err != nil {
		return nil, err
	}
	return planStage(t, m, m.Pipelines[0], 0)
}

// planStage plans stage i of pipeline pl as the compiler does.
func planStage(t *testing.T, m *manifest.Manifest, pl *manifest.Pipeline, i int) (*Plan, error) {
	t.Helper()
	st := pl.Stages[i]
	impl, err := For(st)
	if err != nil {
		t.Fatal(err)
	}
	return impl.Plan(&Context{Stage: st, Pipeline: pl, Manifest: m})
}

func statOwner(fi os.FileInfo) (int, int) {
	st := fi.Sys().(*syscall.Stat_t)
	return int(st.Uid), int(st.Gid)
}
