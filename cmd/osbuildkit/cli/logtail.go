package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	bkclient "github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"
)

// How much of each step's log a quiet build keeps, and shows of a failed
// one: enough for apt's explanation or the option a stage names.
const (
	logTailBytes = 8 << 10
	logTailLines = 25
)

// logTail keeps the end of each step's log and which steps failed, so a
// build with --progress quiet still shows why a step failed.
type logTail struct {
	names  map[digest.Digest]string
	logs   map[digest.Digest][]byte
	failed []digest.Digest
}

func newLogTail() *logTail {
	return &logTail{names: map[digest.Digest]string{}, logs: map[digest.Digest][]byte{}}
}

// add records a status update.
func (l *logTail) add(st *bkclient.SolveStatus) {
	for _, v := range st.Vertexes {
		l.names[v.Digest] = v.Name
		// A step cancelled because another failed is not the failure.
		if v.Error != "" && !strings.Contains(v.Error, context.Canceled.Error()) && !slices.Contains(l.failed, v.Digest) {
			l.failed = append(l.failed, v.Digest)
		}
	}
	for _, lg := range st.Logs {
		b := append(l.logs[lg.Vertex], lg.Data...)
		if len(b) > logTailBytes {
			b = b[len(b)-logTailBytes:]
		}
		l.logs[lg.Vertex] = b
	}
}

// teeStatus hands each status update to f on its way from in to the
// channel it returns.
func teeStatus(in chan *bkclient.SolveStatus, f func(*bkclient.SolveStatus)) chan *bkclient.SolveStatus {
	out := make(chan *bkclient.SolveStatus)
	go func() {
		defer close(out)
		for st := range in {
			f(st)
			out <- st
		}
	}()
	return out
}

// write prints the last lines of each failed step's log.
func (l *logTail) write(w io.Writer) {
	for _, d := range l.failed {
		text := strings.TrimRight(string(l.logs[d]), "\n")
		if text == "" {
			continue
		}
		lines := strings.Split(text, "\n")
		if len(lines) > logTailLines {
			lines = lines[len(lines)-logTailLines:]
		}
		fmt.Fprintf(w, "osbuildkit: %s failed; the end of its log:\n", l.names[d])
		for _, line := range lines {
			fmt.Fprintf(w, "  %s\n", line)
		}
	}
}
