package manifest

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
)

type stageErr struct{ st *Stage }

func (e stageErr) Error() string                 { return "apt failed" }
func (e stageErr) FailedStage() (string, *Stage) { return "os", e.st }

func TestBuildResults(t *testing.T) {
	m, err := Load("m.json", []byte(`{"version": "2", "pipelines": [{"name": "os", "stages": [{"type": "org.osbuild.noop"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		res  BuildResult
		want string
	}{
		{m.Succeeded(), fmt.Sprintf(`{"type":"result","success":true,"metadata":{},"pipelines":{"os":"%s"}}`, m.Pipelines[0].ID)},
		{Failed(errors.New("no daemon")), `{"type":"error","success":false,"error":{"type":"org.osbuild.error.build","message":"no daemon"}}`},
		{Failed(fmt.Errorf("building: %w", stageErr{m.Pipelines[0].Stages[0]})), fmt.Sprintf(
			`{"type":"error","success":false,"error":{"type":"org.osbuild.error.stage","message":"building: apt failed","details":{"stage":{"id":"%s","type":"org.osbuild.noop","pipeline":"os","index":0}}}}`, m.Pipelines[0].Stages[0].ID)},
	} {
		got, err := json.Marshal(tc.res)
		if err != nil || string(got) != tc.want {
			t.Errorf("got %s (%v)\nwant %s", got, err, tc.want)
		}
	}
}
