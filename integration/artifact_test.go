//go:build integration

package integration

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// checkDiskArtifact wants image to be file as osbuildkit's disk artifact
// of the format: the artifact type, the annotations, and the one layer,
// pulled back, being the file's bytes.
func checkDiskArtifact(t *testing.T, image, file, format string) {
	t.Helper()
	desc, err := remote.Get(ref(t, image))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		ArtifactType string            `json:"artifactType"`
		Annotations  map[string]string `json:"annotations"`
		Layers       []struct {
			MediaType string `json:"mediaType"`
			Digest    string `json:"digest"`
		} `json:"layers"`
	}
	if err := json.Unmarshal(desc.Manifest, &m); err != nil {
		t.Fatal(err)
	}
	sum := sha256File(t, file)
	if m.ArtifactType != "application/vnd.osbuildkit.disk."+format || m.Annotations["org.osbuildkit.disk.format"] != format ||
		m.Annotations["org.osbuildkit.disk.checksum"] != sum || len(m.Layers) != 1 || m.Layers[0].Digest != sum {
		t.Fatalf("manifest %s", desc.Manifest)
	}
	repo := ref(t, image).Context()
	layer, err := remote.Layer(repo.Digest(m.Layers[0].Digest))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := layer.Compressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	h := sha256.New()
	io.Copy(h, rc)
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != sum {
		t.Errorf("pulled blob %s, file %s", got, sum)
	}
}
