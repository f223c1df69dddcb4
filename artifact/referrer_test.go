package artifact

import (
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// An SBOM pushed as a referrer of a disk artifact is listed as the
// subject's referrer: by the registry's referrers API where it has one,
// and through the referrers tag (sha256-<digest>) where it has none.
func TestPushReferrer(t *testing.T) {
	for _, api := range []bool{true, false} {
		srv := httptest.NewServer(registry.New(registry.WithReferrersSupport(api), registry.Logger(log.New(io.Discard, "", 0))))
		ref := strings.TrimPrefix(srv.URL, "http://") + "/images/disk:1"
		a, err := New(diskFile(t, "disk.qcow2", "QFI\xfb disk"), "", nil)
		if err != nil {
			t.Fatal(err)
		}
		subject, err := a.Push(ref, true)
		if err != nil {
			t.Fatal(err)
		}
		if d, err := a.Descriptor(); err != nil || d.Digest.String() != subject {
			t.Fatalf("Descriptor says %s (%v), Push pushed %s", d.Digest, err, subject)
		}
		at, err := a.PushReferrer(ref, true, diskFile(t, "disk.qcow2.spdx.json", `{"spdxVersion": "SPDX-2.3"}`))
		if err != nil {
			t.Fatalf("referrers API %v: %v", api, err)
		}
		repo, dgst, _ := strings.Cut(at, "@")
		if repo != strings.TrimSuffix(ref, ":1") {
			t.Errorf("the referrer %s is not in the disk's repository", at)
		}
		r, err := name.ParseReference(ref, name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		idx, err := remote.Referrers(r.Context().Digest(subject))
		if err != nil {
			t.Fatalf("referrers API %v: listing: %v", api, err)
		}
		m, err := idx.IndexManifest()
		if err != nil {
			t.Fatal(err)
		}
		// (go-containerregistry's own registry reports the config's media
		// type as the artifactType; the integration test reads a real one.)
		if len(m.Manifests) != 1 || m.Manifests[0].Digest.String() != dgst || (!api && m.Manifests[0].ArtifactType != SBOMArtifactType) {
			t.Errorf("referrers API %v: the subject's referrers are %+v, want the SBOM %s", api, m.Manifests, dgst)
		}
		h, _ := v1.NewHash(subject)
		_, err = remote.Head(r.Context().Tag(h.Algorithm + "-" + h.Hex))
		if api && err == nil {
			t.Error("a registry with the referrers API got a referrers tag")
		} else if !api && err != nil {
			t.Errorf("a registry without the referrers API has no referrers tag: %v", err)
		}
		srv.Close()
	}
}
