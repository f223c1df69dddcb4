package localbuild

import (
	"encoding/json"
	"io"
	"strings"
	"time"

	bkclient "github.com/moby/buildkit/client"
)

// WriteMonitorRecords streams osbuild's JSONSeqMonitor records (RFC 7464:
// RS, JSON, LF) for BuildKit's progress: one when a step starts or
// finishes, one per log chunk.
func WriteMonitorRecords(w io.Writer, st *bkclient.SolveStatus) {
	names := map[string]string{}
	for _, v := range st.Vertexes {
		names[v.Digest.String()] = v.Name
		pipeline, stage := splitVertexName(v.Name)
		rec := map[string]any{
			"timestamp": float64(time.Now().UnixNano()) / 1e9,
			"context":   map[string]any{"origin": "osbuildkit.monitor", "pipeline": map[string]any{"name": pipeline, "stage": map[string]any{"name": stage, "id": v.Digest.String()}}},
		}
		switch {
		case v.Completed != nil && v.Error != "":
			rec["message"] = "Finished " + v.Name + ": " + v.Error
		case v.Completed != nil:
			rec["message"] = "Finished " + v.Name
			if v.Cached {
				rec["message"] = "Finished " + v.Name + " (cached)"
			}
		case v.Started != nil:
			rec["message"] = "Starting " + v.Name
		default:
			continue
		}
		writeRecord(w, rec)
	}
	for _, l := range st.Logs {
		pipeline, stage := splitVertexName(names[l.Vertex.String()])
		writeRecord(w, map[string]any{
			"timestamp": float64(l.Timestamp.UnixNano()) / 1e9,
			"message":   string(l.Data),
			"context":   map[string]any{"origin": "osbuildkit.stage", "pipeline": map[string]any{"name": pipeline, "stage": map[string]any{"name": stage, "id": l.Vertex.String()}}},
		})
	}
}

func writeRecord(w io.Writer, rec map[string]any) {
	b, err := json.Marshal(rec)
	if err != nil {
		return
	}
	w.Write(append(append([]byte{0x1e}, b...), '\n'))
}

// splitVertexName turns "[pipeline] org.osbuild.x" into its parts.
func splitVertexName(name string) (string, string) {
	if strings.HasPrefix(name, "[") {
		if i := strings.Index(name, "] "); i > 0 {
			return name[1:i], name[i+2:]
		}
	}
	return "", name
}
