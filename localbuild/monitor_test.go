package localbuild

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	bkclient "github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"
)

// Records are RFC 7464 JSON text sequences naming the pipeline and stage.
func TestMonitorRecords(t *testing.T) {
	now := time.Now()
	d := digest.FromString("step")
	var buf bytes.Buffer
	WriteMonitorRecords(&buf, &bkclient.SolveStatus{
		Vertexes: []*bkclient.Vertex{{Digest: d, Name: "[os] org.osbuild.apt", Started: &now}},
		Logs:     []*bkclient.VertexLog{{Vertex: d, Data: []byte("Unpacking sudo\n"), Timestamp: now}},
	})
	records := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(records) != 2 {
		t.Fatalf("records %q", buf.String())
	}
	for i, want := range []string{"Starting [os] org.osbuild.apt", "Unpacking sudo\n"} {
		r, ok := strings.CutPrefix(records[i], "\x1e")
		if !ok {
			t.Fatalf("record %d lacks the RS byte: %q", i, records[i])
		}
		var rec struct {
			Message string `json:"message"`
			Context struct {
				Pipeline struct {
					Name  string `json:"name"`
					Stage struct {
						Name string `json:"name"`
					} `json:"stage"`
				} `json:"pipeline"`
			} `json:"context"`
		}
		if err := json.Unmarshal([]byte(r), &rec); err != nil {
			t.Fatal(err)
		}
		if rec.Message != want || rec.Context.Pipeline.Name != "os" || rec.Context.Pipeline.Stage.Name != "org.osbuild.apt" {
			t.Errorf("record %d: %+v", i, rec)
		}
	}
}
