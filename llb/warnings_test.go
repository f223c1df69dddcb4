package llb

import (
	"strings"
	"testing"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// A layout the stage works around is reported when the build is planned,
// located at the option, so a cached step still warns.
func TestPlanWarningsAreLocated(t *testing.T) {
	res, _, _ := compile(t, load(t, "../images/debian-bootable-qcow2-fixed.json"), Options{})
	if len(res.Warnings) != 1 {
		t.Fatalf("warnings %v, want the over-long root partition", res.Warnings)
	}
	got := res.Warnings[0].String()
	for _, want := range []string{"[assembler] assembler 0 org.osbuild.qemu:", ".options.partitions[1].size (../images/debian-bootable-qcow2-fixed.json:56:",
		"partition 2 ends 17.0 MiB after the usable end of the disk; fitted it to the disk"} {
		if !strings.Contains(got, want) {
			t.Errorf("warning %q does not say %q", got, want)
		}
	}
	if res, _, _ := compile(t, load(t, "../images/debian-bookworm-qcow2.json"), Options{}); len(res.Warnings) != 0 {
		t.Errorf("a disk that fits warns: %v", res.Warnings)
	}
}

// An image that installs an SSH server without regenerating its host keys
// is warned about, at the package; a buildroot pipeline is not.
func TestHostKeyWarningIsLocated(t *testing.T) {
	res, _, _ := compile(t, load(t, "../images/user-basic-tar.json"), Options{})
	if len(res.Warnings) != 1 {
		t.Fatalf("warnings %v, want the SSH host keys", res.Warnings)
	}
	got := res.Warnings[0].String()
	for _, want := range []string{"[build] stage 1 org.osbuild.apt: .pipelines[0].stages[1].options.packages[1] (../images/user-basic-tar.json:21:15): ",
		"openssh-server generates SSH host keys while the image is built"} {
		if !strings.Contains(got, want) {
			t.Errorf("warning %q does not say %q", got, want)
		}
	}
	m, err := manifest.Load("m.json", []byte(`{"version": "2", "pipelines": [
		{"name": "build", "stages": [{"type": "org.osbuild.apt", "options": {"packages": ["openssh-server"]}}]},
		{"name": "os", "build": "name:build", "stages": [{"type": "org.osbuild.mkdir", "options": {"paths": [{"path": "/srv"}]}}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if res, _, _ := compile(t, m, Options{}); len(res.Warnings) != 0 {
		t.Errorf("a buildroot pipeline warns: %v", res.Warnings)
	}
}
