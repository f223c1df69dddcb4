package llb

import (
	"slices"

	bkllb "github.com/moby/buildkit/client/llb"
)

// Step is one unit of the build that a stage timeout bounds: a stage (its
// exec and file operations) or the host buildroot's tool install. The
// frontend solves the steps in order beside the build to time each one.
type Step struct {
	// Name is the step's name in progress, "[pipeline] type".
	Name  string
	State bkllb.State
	// After are the steps (indices into Result.Steps) it waits for.
	After []int
}

// steps records the compiled steps and what the stage being compiled
// waits for.
type steps struct {
	list []Step
	// last is each compiled pipeline's last step; host the host
	// buildroot's, or -1.
	last map[string]int
	host int
	// boot is the bootstrap buildroot's step, or -1.
	boot int
	// pending are the steps the stage being compiled uses (its buildroot,
	// its pipeline inputs), noted while it compiles.
	pending []int
}

func newSteps() *steps { return &steps{last: map[string]int{}, host: -1, boot: -1} }

// note records that the stage being compiled waits for step i.
func (s *steps) note(i int) {
	if i >= 0 && !slices.Contains(s.pending, i) {
		s.pending = append(s.pending, i)
	}
}

// notePipeline records that the stage being compiled waits for a pipeline.
func (s *steps) notePipeline(name string) {
	if i, ok := s.last[name]; ok {
		s.note(i)
	}
}

// take returns what the stage being compiled waits for: the steps noted
// and prev (its pipeline's previous step, or -1); the next stage starts
// afresh.
func (s *steps) take(prev int) []int {
	s.note(prev)
	after := s.pending
	s.pending = nil
	slices.Sort(after)
	return after
}

// add records a step and returns its index.
func (s *steps) add(name string, st bkllb.State, after []int) int {
	s.list = append(s.list, Step{Name: name, State: st, After: after})
	return len(s.list) - 1
}
