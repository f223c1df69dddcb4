package artifact

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// SBOMArtifactType is the artifactType and layer media type of an SPDX
// SBOM pushed as a referrer.
const SBOMArtifactType = "application/spdx+json"

// Descriptor is the descriptor of the artifact's manifest, the subject a
// referrer names.
func (a *Artifact) Descriptor() (ocispec.Descriptor, error) {
	raw, err := a.manifest()
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	sum := sha256.Sum256(raw)
	return ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, ArtifactType: a.mediaType(),
		Digest: digest.Digest("sha256:" + hex.EncodeToString(sum[:])), Size: int64(len(raw))}, nil
}

// PushReferrer pushes the SBOM file at path to the repository of refName
// as an artifact whose subject is the pushed artifact a, and returns the
// referrer's reference (repository@digest). The registry's referrers API
// lists it; on a registry without that API, go-containerregistry adds it
// to the subject's referrers tag (sha256-<digest>), as the OCI
// distribution spec's fallback says.
func (a *Artifact) PushReferrer(refName string, insecure bool, path string) (string, error) {
	subject, err := a.Descriptor()
	if err != nil {
		return "", err
	}
	ref, err := ParseReference(refName, insecure)
	if err != nil {
		return "", err
	}
	doc, err := New(path, "spdx", nil)
	if err != nil {
		return "", err
	}
	repo := ref.Context()
	if err := remote.WriteLayer(repo, &fileBlob{a: doc, mt: SBOMArtifactType}, Login); err != nil {
		return "", fmt.Errorf("uploading the SBOM to %s: %w", repo, err)
	}
	raw, err := json.Marshal(ocispec.Manifest{
		Versioned:    ocispecs.Versioned{SchemaVersion: 2},
		MediaType:    ocispec.MediaTypeImageManifest,
		ArtifactType: SBOMArtifactType,
		Config:       ocispec.DescriptorEmptyJSON,
		Layers: []ocispec.Descriptor{{
			MediaType: SBOMArtifactType, Digest: digest.Digest(doc.digest.String()), Size: doc.size,
			Annotations: map[string]string{ocispec.AnnotationTitle: filepath.Base(path)},
		}},
		Subject: &subject,
	})
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(raw)
	at := repo.Digest("sha256:" + hex.EncodeToString(sum[:]))
	if _, err := putManifest(at, raw); err != nil {
		return "", err
	}
	return at.String(), nil
}
