package llb

import (
	"slices"
	"strings"
	"testing"

	bkllb "github.com/moby/buildkit/client/llb"
	digest "github.com/opencontainers/go-digest"
)

// Prebuilt buildroot images replace the built ones: the bootstrap runs in
// the bootstrap image, the disk assembly in the host image, and nothing
// installs tools.
func TestPrebuiltBuildroots(t *testing.T) {
	const (
		bootRef = "example.com/osbuildkit/buildroot:t-bootstrap@sha256:1111111111111111111111111111111111111111111111111111111111111111"
		hostRef = "example.com/osbuildkit/buildroot:t@sha256:2222222222222222222222222222222222222222222222222222222222222222"
	)
	boot, host := bkllb.Image(bootRef), bkllb.Image(hostRef)
	res, _, ops := compile(t, load(t, "../images/debian-bookworm-qcow2.json"), Options{BootstrapBuildroot: &boot, Buildroot: &host})
	byDigest := map[digest.Digest]op{}
	for _, o := range ops {
		byDigest[o.digest] = o
		if strings.HasPrefix(o.name(), "[buildroot] install") {
			t.Errorf("op %q installs tools though the buildroots are prebuilt", o.name())
		}
	}
	for _, tc := range []struct{ step, want, not string }{
		{"[os] org.osbuild.debootstrap", bootRef, hostRef},
		{"[assembler] org.osbuild.qemu", hostRef, bootRef},
	} {
		got := execsNamed(ops, tc.step)
		if len(got) != 1 {
			t.Fatalf("want one ExecOp %s, got %d", tc.step, len(got))
		}
		var images []string
		for _, m := range got[0].pb.GetExec().GetMounts() {
			if m.GetInput() < 0 {
				continue
			}
			in := byDigest[digest.Digest(got[0].pb.GetInputs()[m.GetInput()].GetDigest())]
			if src := in.pb.GetSource(); src != nil {
				images = append(images, src.GetIdentifier())
			}
		}
		if !slices.Contains(images, "docker-image://"+tc.want) || slices.Contains(images, "docker-image://"+tc.not) {
			t.Errorf("%s mounts the images %v, want %s and not %s", tc.step, images, tc.want, tc.not)
		}
	}
	for _, s := range res.Steps {
		if strings.HasPrefix(s.Name, "[buildroot]") {
			t.Errorf("step %s with prebuilt buildroots", s.Name)
		}
	}
}
