package cli

import (
	"strings"
	"testing"

	bkclient "github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"
)

// A quiet build's failure shows the end of the failed step's log (lines
// split across log records joined), not the logs of steps that were
// cancelled because of it or that succeeded.
func TestLogTailShowsTheFailedStep(t *testing.T) {
	failed, cancelled, fine := digest.FromString("a"), digest.FromString("b"), digest.FromString("c")
	l := newLogTail()
	var lines strings.Builder
	for i := range 40 {
		lines.WriteString("line " + strings.Repeat("x", i%3) + "\n")
	}
	l.add(&bkclient.SolveStatus{
		Vertexes: []*bkclient.Vertex{{Digest: failed, Name: "[tree] org.osbuild.apt"}, {Digest: fine, Name: "[tree] fine"}},
		Logs:     []*bkclient.VertexLog{{Vertex: failed, Data: []byte(lines.String() + "unknown pack")}, {Vertex: fine, Data: []byte("all is well\n")}},
	})
	l.add(&bkclient.SolveStatus{
		Vertexes: []*bkclient.Vertex{
			{Digest: failed, Name: "[tree] org.osbuild.apt", Error: "exit code: 65"},
			{Digest: cancelled, Name: "[tree] other", Error: "context canceled: context canceled"},
		},
		Logs: []*bkclient.VertexLog{{Vertex: failed, Data: []byte("age \"lesss\"\n")}, {Vertex: cancelled, Data: []byte("half done\n")}},
	})
	var out strings.Builder
	l.write(&out)
	got := out.String()
	if !strings.HasPrefix(got, "osbuildkit: [tree] org.osbuild.apt failed; the end of its log:\n") || !strings.HasSuffix(got, "  unknown package \"lesss\"\n") {
		t.Errorf("got\n%s", got)
	}
	if n := strings.Count(got, "\n  "); n != logTailLines {
		t.Errorf("%d lines of the log, want the last %d:\n%s", n, logTailLines, got)
	}
	if strings.Contains(got, "half done") || strings.Contains(got, "all is well") {
		t.Errorf("a cancelled or successful step's log is shown:\n%s", got)
	}
}
