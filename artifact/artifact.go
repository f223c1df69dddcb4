package artifact

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ArtifactTypePrefix + the disk format is a disk artifact's artifactType.
const ArtifactTypePrefix = "application/vnd.osbuildkit.disk."

// Annotations osbuildkit sets on disk artifacts.
const (
	annotationFormat   = "org.osbuildkit.disk.format"
	annotationSize     = "org.osbuildkit.disk.size"
	annotationChecksum = "org.osbuildkit.disk.checksum"
)

// Artifact is a disk image file as an OCI artifact: an empty config, the
// file as its one layer, and annotations for format, size and checksum.
type Artifact struct {
	path, format string
	size         int64
	digest       v1.Hash
	annotations  map[string]string
}

// New describes the disk image at path; format "" takes it from the file
// name. extra annotations are added to osbuildkit's.
func New(path, format string, extra map[string]string) (*Artifact, error) {
	if format == "" {
		var err error
		if format, err = FormatOf(path); err != nil {
			return nil, err
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	size, err := io.Copy(h, f)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	a := &Artifact{path: path, format: format, size: size,
		digest: v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}}
	a.annotations = map[string]string{
		annotationFormat:   format,
		annotationSize:     strconv.FormatInt(size, 10),
		annotationChecksum: a.digest.String(),
	}
	for k, v := range extra {
		a.annotations[k] = v
	}
	return a, nil
}

func (a *Artifact) mediaType() string { return ArtifactTypePrefix + a.format }

// manifest is the artifact's OCI image manifest.
func (a *Artifact) manifest() ([]byte, error) {
	m := ocispec.Manifest{
		Versioned:    ocispecs.Versioned{SchemaVersion: 2},
		MediaType:    ocispec.MediaTypeImageManifest,
		ArtifactType: a.mediaType(),
		Config:       ocispec.DescriptorEmptyJSON,
		Layers: []ocispec.Descriptor{{
			MediaType:   a.mediaType(),
			Digest:      digest.Digest(a.digest.String()),
			Size:        a.size,
			Annotations: map[string]string{ocispec.AnnotationTitle: filepath.Base(a.path)},
		}},
		Annotations: a.annotations,
	}
	return json.Marshal(m)
}

// Push uploads the blobs, then the manifest under ref, and returns the
// manifest's digest: until the last step succeeds nothing is visible under
// the tag. insecure allows plain http (always allowed for localhost).
func (a *Artifact) Push(refName string, insecure bool) (string, error) {
	ref, err := ParseReference(refName, insecure)
	if err != nil {
		return "", err
	}
	repo := ref.Context()
	if err := remote.WriteLayer(repo, &fileBlob{a: a}, Login); err != nil {
		return "", fmt.Errorf("uploading the disk image to %s: %w", repo, err)
	}
	raw, err := a.manifest()
	if err != nil {
		return "", err
	}
	return putManifest(ref, raw)
}

// Login gives the registry calls the user's logins from the Docker config
// ($DOCKER_CONFIG/config.json, else ~/.docker/config.json, and its
// credential helpers), as docker and buildx use them; a registry with no
// login there is asked anonymously.
var Login = remote.WithAuthFromKeychain(authn.DefaultKeychain)

// ParseReference parses a registry reference; insecure allows plain http,
// which a registry on localhost or 127.0.0.0/8 always gets.
func ParseReference(refName string, insecure bool) (name.Reference, error) {
	opts := []name.Option{}
	if insecure || isLocalRegistry(refName) {
		opts = append(opts, name.Insecure)
	}
	return name.ParseReference(refName, opts...)
}

// putManifest uploads the empty config an artifact manifest names, then
// the manifest raw under ref, and returns its digest.
func putManifest(ref name.Reference, raw []byte) (string, error) {
	if err := remote.WriteLayer(ref.Context(), &fileBlob{data: ocispec.DescriptorEmptyJSON.Data, mt: ocispec.MediaTypeEmptyJSON}, Login); err != nil {
		return "", fmt.Errorf("uploading the empty config: %w", err)
	}
	if err := remote.Put(ref, rawManifest(raw), Login); err != nil {
		return "", fmt.Errorf("writing the manifest %s: %w", ref, err)
	}
	sum := sha256.Sum256(raw)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

func isLocalRegistry(ref string) bool {
	return strings.HasPrefix(ref, "localhost:") || strings.HasPrefix(ref, "localhost/") || strings.HasPrefix(ref, "127.")
}

// rawManifest is a manifest pushed as bytes.
type rawManifest []byte

func (m rawManifest) RawManifest() ([]byte, error) { return m, nil }
func (m rawManifest) MediaType() (types.MediaType, error) {
	return types.OCIManifestSchema1, nil
}

// fileBlob is a blob from a file (streamed, never in memory) or bytes; mt,
// when set, is its media type (an artifact's file is its disk type).
type fileBlob struct {
	a    *Artifact
	data []byte
	mt   string
}

func (b *fileBlob) Digest() (v1.Hash, error) {
	if b.a != nil {
		return b.a.digest, nil
	}
	sum := sha256.Sum256(b.data)
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}, nil
}
func (b *fileBlob) DiffID() (v1.Hash, error) { return b.Digest() }
func (b *fileBlob) Compressed() (io.ReadCloser, error) {
	if b.a != nil {
		return os.Open(b.a.path)
	}
	return io.NopCloser(bytes.NewReader(b.data)), nil
}
func (b *fileBlob) Uncompressed() (io.ReadCloser, error) { return b.Compressed() }
func (b *fileBlob) Size() (int64, error) {
	if b.a != nil {
		return b.a.size, nil
	}
	return int64(len(b.data)), nil
}
func (b *fileBlob) MediaType() (types.MediaType, error) {
	if b.a != nil && b.mt == "" {
		return types.MediaType(b.a.mediaType()), nil
	}
	return types.MediaType(b.mt), nil
}
