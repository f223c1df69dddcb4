package frontend

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"

	"github.com/osbuildkit/osbuildkit/llb"
)

// stepClient solves a definition at once, unless its last op is the named
// hanging step, which waits for the request to end.
type stepClient struct {
	client.Client
	hang   string
	mu     sync.Mutex
	solved []string
}

func (c *stepClient) Solve(ctx context.Context, req client.SolveRequest) (*client.Result, error) {
	name := ""
	for dgst, meta := range req.Definition.Metadata {
		var op pb.Op
		for _, b := range req.Definition.Def {
			if op.UnmarshalVT(b) == nil && len(op.Inputs) == 1 && op.Inputs[0].Digest == dgst {
				name = meta.Description["llb.customname"] // the terminal's input: the step
			}
		}
	}
	c.mu.Lock()
	c.solved = append(c.solved, name)
	c.mu.Unlock()
	if name == c.hang {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return &client.Result{}, nil
}

func testSteps() []llb.Step {
	mk := func(name string) bkllb.State {
		return bkllb.Scratch().File(bkllb.Mkdir("/"+strings.Fields(name)[1], 0o755), bkllb.WithCustomName(name))
	}
	return []llb.Step{
		{Name: "[tree] a", State: mk("[tree] a")},
		{Name: "[tree] b", State: mk("[tree] b"), After: []int{0}},
		{Name: "[tree] c", State: mk("[tree] c"), After: []int{1}},
	}
}

// A step that runs past the timeout is named; the steps that wait for it
// are never solved, and one that finishes in time is not reported.
func TestTimeStepsNamesTheSlowStep(t *testing.T) {
	c := &stepClient{hang: "[tree] b"}
	err := timeSteps(context.Background(), c, testSteps(), 100*time.Millisecond, nil, nil)
	var te *StageTimeoutError
	if !errors.As(err, &te) || te.Step != "[tree] b" || !strings.Contains(err.Error(), "[tree] b ran longer than the stage timeout (100ms) and was cancelled") {
		t.Fatalf("got %v", err)
	}
	if !slices.Equal(c.solved, []string{"[tree] a", "[tree] b"}) {
		t.Errorf("solved %q, want the steps up to the slow one", c.solved)
	}
	if err := timeSteps(context.Background(), &stepClient{}, testSteps(), time.Second, nil, nil); err != nil {
		t.Errorf("steps in time: %v", err)
	}
}

func TestStageTimeoutOption(t *testing.T) {
	for opts, want := range map[*map[string]string]time.Duration{
		{"stage-timeout": "90s"}:                      90 * time.Second,
		{"build-arg:OSBUILDKIT_STAGE_TIMEOUT": "30m"}: 30 * time.Minute,
		{"source-timeout": "1m"}:                      0,
	} {
		cfg, err := ParseConfig(*opts)
		if err != nil || cfg.StageTimeout != want {
			t.Errorf("%v: stage timeout %v (%v), want %v", *opts, cfg.StageTimeout, err, want)
		}
	}
	if _, err := ParseConfig(map[string]string{"stage-timeout": "soon"}); err == nil || !strings.Contains(err.Error(), "frontend option stage-timeout") {
		t.Errorf("bad duration: %v", err)
	}
}
