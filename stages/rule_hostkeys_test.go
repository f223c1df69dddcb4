package stages

import (
	"strings"
	"testing"

	"github.com/osbuildkit/osbuildkit/manifest"
)

func hostKeyPipeline(t *testing.T, stagesJSON string) (*manifest.Manifest, *manifest.Pipeline) {
	t.Helper()
	return hostKeyManifest(t, `{"version": "2", "pipelines": [{"name": "os", "stages": [`+stagesJSON+`]}]}`)
}

func hostKeyManifest(t *testing.T, doc string) (*manifest.Manifest, *manifest.Pipeline) {
	t.Helper()
	m, err := manifest.Load("m.json", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return m, m.Pipelines[0]
}

func TestHostKeyWarning(t *testing.T) {
	for _, tc := range []struct {
		name, stages, wantPath, wantPkg string
	}{
		{"apt", `{"type": "org.osbuild.apt", "options": {"packages": ["sudo", "openssh-server"]}}`, ".pipelines[0].stages[0].options.packages[1]", "openssh-server"},
		{"apt, architecture qualified", `{"type": "org.osbuild.apt", "options": {"packages": ["openssh-server:amd64"]}}`, ".pipelines[0].stages[0].options.packages[0]", "openssh-server:amd64"},
		{"debootstrap include", `{"type": "org.osbuild.debootstrap", "options": {"suite": "bookworm", "include": ["ca-certificates", "ssh"]}}`, ".pipelines[0].stages[0].options.include[1]", "ssh"},
		{"regenerated at first boot", `{"type": "org.osbuild.apt", "options": {"packages": ["openssh-server"]}},
			{"type": "org.osbuild.first-boot", "options": {"commands": ["/usr/bin/ssh-keygen -A"]}}`, "", ""},
		{"regenerated before the server is installed", `{"type": "org.osbuild.first-boot", "options": {"commands": ["/usr/bin/ssh-keygen -A"]}},
			{"type": "org.osbuild.apt", "options": {"packages": ["openssh-server"]}}`, ".pipelines[0].stages[1].options.packages[0]", "openssh-server"},
		{"client only", `{"type": "org.osbuild.apt", "options": {"packages": ["openssh-client", "openssh-server-udeb-not"]}}`, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			findings := Check(hostKeyPipeline(t, tc.stages))
			if tc.wantPath == "" {
				if len(findings) != 0 {
					t.Fatalf("warned: %v", findings[0].At)
				}
				return
			}
			if len(findings) != 1 || findings[0].Stage == nil || findings[0].Rule != "SSHHostKeysBuiltIn" {
				t.Fatalf("findings %v, want one of SSHHostKeysBuiltIn", findings)
			}
			w := findings[0].At
			if got := w.Path.String(); got != tc.wantPath {
				t.Errorf("warning at %s, want %s", got, tc.wantPath)
			}
			for _, want := range []string{tc.wantPkg + " generates SSH host keys while the image is built", "org.osbuild.first-boot running ssh-keygen"} {
				if !strings.Contains(w.Err.Error(), want) {
					t.Errorf("warning %q does not say %q", w.Err, want)
				}
			}
		})
	}
}

// A pipeline with a source-epoch leaves no host keys in the tree (its
// package stages defer them to first boot): nothing to warn about.
func TestHostKeyWarningWithSourceEpoch(t *testing.T) {
	m, pl := hostKeyManifest(t, `{"version": "2", "pipelines": [{"name": "os", "source-epoch": 1700000000, "stages": [
		{"type": "org.osbuild.apt", "options": {"packages": ["openssh-server"]}}]}]}`)
	if findings := Check(m, pl); len(findings) != 0 {
		t.Errorf("warned: %v", findings[0].At)
	}
}
