package frontend

import (
	"context"
	"fmt"
	"slices"

	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/subrequests/outline"
	"github.com/moby/buildkit/frontend/subrequests/targets"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// subrequests answers `--call targets` and `--call outline`: the pipelines
// are the targets, the manifest's exports the defaults.
func subrequests(m *manifest.Manifest) dockerui.RequestHandler {
	return dockerui.RequestHandler{
		ListTargets: func(context.Context) (*targets.List, error) {
			l := &targets.List{}
			for _, pl := range m.Pipelines {
				l.Targets = append(l.Targets, targets.Target{
					Name:        pl.Name,
					Default:     slices.Contains(m.Exports, pl.Name),
					Description: describePipeline(pl),
				})
			}
			return l, nil
		},
		Outline: func(context.Context) (*outline.Outline, error) {
			name := ""
			if len(m.Exports) > 0 {
				name = m.Exports[0]
			}
			o := &outline.Outline{Name: name}
			if pl := m.Pipeline(name); pl != nil {
				o.Description = describePipeline(pl)
			}
			return o, nil
		},
	}
}

func describePipeline(pl *manifest.Pipeline) string {
	s := fmt.Sprintf("%d stages", len(pl.Stages))
	if len(pl.Stages) == 1 {
		s = "1 stage"
	}
	if pl.Build != "" {
		s += ", built on " + pl.Build
	}
	return s
}
