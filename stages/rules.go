package stages

import "github.com/osbuildkit/osbuildkit/manifest"

// Rule is a named check of a pipeline, run whenever a build is planned (so
// a step that comes from the cache still warns) and by validate: it warns,
// located in the manifest, about what the build works around or what makes
// a poor image. Rules never fail a build. BuildKit's Dockerfile linter
// rules are the model.
type Rule struct {
	Name        string
	Description string
	// Check returns the rule's findings in a pipeline, in stage order.
	Check func(m *manifest.Manifest, pl *manifest.Pipeline) []Finding
}

// Finding is one warning: the stage, and the option at fault with what
// was found or done about it.
type Finding struct {
	Rule  string
	Stage *manifest.Stage
	At    *manifest.LocationError
}

// Rules are the checks Check runs, in order.
var Rules = []Rule{diskFitRule, hostKeysRule, noEffectRule, isoLabelRule}

// Check runs every rule on a pipeline.
func Check(m *manifest.Manifest, pl *manifest.Pipeline) []Finding {
	var out []Finding
	for _, r := range Rules {
		for _, f := range r.Check(m, pl) {
			f.Rule = r.Name
			out = append(out, f)
		}
	}
	return out
}
