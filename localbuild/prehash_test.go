package localbuild

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	bkclient "github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"

	"github.com/osbuildkit/osbuildkit/internal/blocksum"
)

// The running callback fires once, for the first exec step that starts
// without coming from the cache: not for cached steps, not for other
// vertices (file operations, sources), and not again.
func TestExecSetRunningFiresOnceForAnUncachedExec(t *testing.T) {
	exec, file := digest.FromString("exec"), digest.FromString("file")
	calls := 0
	e := &execSet{set: map[digest.Digest]bool{exec: true}, running: func() { calls++ }}
	now := time.Now()
	steps := []struct {
		v           bkclient.Vertex
		calls       int
		wantRebuilt bool
	}{
		{bkclient.Vertex{Digest: exec, Started: &now, Completed: &now, Cached: true}, 0, false},
		{bkclient.Vertex{Digest: file, Started: &now, Completed: &now}, 0, false},
		{bkclient.Vertex{Digest: exec}, 0, false},
		{bkclient.Vertex{Digest: exec, Started: &now}, 1, false},
		{bkclient.Vertex{Digest: exec, Started: &now, Completed: &now}, 1, true},
	}
	for i, s := range steps {
		rebuilt := e.observe(&bkclient.SolveStatus{Vertexes: []*bkclient.Vertex{&s.v}})
		if calls != s.calls || rebuilt != s.wantRebuilt {
			t.Errorf("update %d (%+v): running called %d times, rebuilt %v; want %d, %v", i, s.v, calls, rebuilt, s.calls, s.wantRebuilt)
		}
	}
}

// The previous output's large files are found when the build starts but
// hashed only once asked to (a step runs, or a copy needs them), so a
// no-change rebuild does not read them.
func TestOldOutputHashedOnlyWhenAsked(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "image", "disk.qcow2")
	if err := os.MkdirAll(filepath.Dir(old), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(old, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(old, deltaMin); err != nil {
		t.Fatal(err)
	}
	o, err := newOutput(dir, []string{"image"})
	if err != nil {
		t.Fatal(err)
	}
	if len(o.old) != 1 || o.old[0].path != old {
		t.Fatalf("old files %v, want %s", o.old, old)
	}
	select {
	case <-o.old[0].done:
		t.Fatal("the old file was hashed before anything asked for it")
	case <-time.After(time.Second):
	}
	o.hashOld()
	o.hashOld()
	index, _, err := o.old[0].wait()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(index.Sums()); n != deltaMin/blocksum.Size {
		t.Fatalf("hashed into %d digests, want %d", n, deltaMin/blocksum.Size)
	}
}
