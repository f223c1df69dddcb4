package stages

import (
	"fmt"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// noEffectRule warns about options osbuild accepts that do nothing in an
// osbuildkit build, so nobody counts on them: what Debian has no part for,
// and what osbuild itself ignores.
var noEffectRule = Rule{
	Name:        "NoEffectHere",
	Description: "An option osbuild accepts has no effect in this build.",
	Check: func(_ *manifest.Manifest, pl *manifest.Pipeline) []Finding {
		var out []Finding
		for _, st := range pl.Stages {
			for _, n := range noEffect {
				if st.Type != n.stage || !n.set(st.Options) {
					continue
				}
				out = append(out, Finding{Stage: st, At: &manifest.LocationError{Path: append(st.OptionsPath(), n.path...), Err: fmt.Errorf("%s", n.why)}})
			}
		}
		return out
	},
}

// noEffect lists the options: the stage, where the option is, when it
// counts as set, and why it does nothing.
var noEffect = []struct {
	stage string
	path  manifest.Path
	set   func(options map[string]any) bool
	why   string
}{
	{"org.osbuild.grub2", manifest.Path{"greenboot"}, isTrue("greenboot"),
		"greenboot's boot counting is written into grub.cfg, but Debian has no greenboot to set or reset the counter: it stays inactive"},
	{"org.osbuild.grub2", manifest.Path{"ignition"}, isTrue("ignition"),
		"ignition's grub.cfg snippet is written, but Debian has no ignition to act on ignition.firstboot"},
	{"org.osbuild.ostree.commit", manifest.Path{"selinux-label-version"}, func(o map[string]any) bool {
		v, ok := o["selinux-label-version"]
		return ok && fmt.Sprint(v) != "0"
	}, "osbuildkit commits with ostree, which labels nothing: selinux-label-version (an rpm-ostree setting) has no effect"},
	{"org.osbuild.oci-archive", manifest.Path{"config", "StopSiganl"}, func(o map[string]any) bool {
		c, _ := o["config"].(map[string]any)
		_, ok := c["StopSiganl"]
		return ok
	}, "osbuild's schema spells it StopSiganl and its stage ignores it; so does osbuildkit's: the image gets no stop signal"},
	{"org.osbuild.selinux", manifest.Path{"exclude_paths"}, func(o map[string]any) bool {
		_, ex := o["exclude_paths"]
		_, fc := o["file_contexts"]
		return ex && !fc
	}, "exclude_paths limits setfiles, which runs only with file_contexts: without it, as in osbuild, they are ignored"},
}

func isTrue(key string) func(map[string]any) bool {
	return func(o map[string]any) bool { return o[key] == true }
}
