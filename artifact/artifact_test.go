package artifact

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func diskFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFormatOf(t *testing.T) {
	for file, want := range map[string]string{"d.qcow2": "qcow2", "d.raw.xz": "raw.xz", "d.img": "raw", "d.vhd": "vpc", "d.vhdx": "vhdx", "live.iso": "iso"} {
		if got, err := FormatOf(file); err != nil || got != want {
			t.Errorf("%s: %q, %v; want %s", file, got, err, want)
		}
	}
	if _, err := FormatOf("d.tar"); err == nil || !strings.Contains(err.Error(), "pass --format") {
		t.Errorf("unknown ending: %v", err)
	}
}

// A pushed disk is an OCI artifact: its artifactType names the format, its
// one layer is the file, and the annotations describe it; it is found under
// the tag with the digest Push returned.
func TestPushToRegistry(t *testing.T) {
	srv := httptest.NewServer(registry.New())
	defer srv.Close()
	ref := strings.TrimPrefix(srv.URL, "http://") + "/images/disk:1"
	a, err := New(diskFile(t, "disk.qcow2", "QFI\xfb disk"), "", map[string]string{"org.example.built-by": "test"})
	if err != nil {
		t.Fatal(err)
	}
	dgst, err := a.Push(ref, true)
	if err != nil {
		t.Fatal(err)
	}
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Get(r)
	if err != nil {
		t.Fatal(err)
	}
	if desc.Digest.String() != dgst {
		t.Errorf("tag holds %s, Push returned %s", desc.Digest, dgst)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(desc.Manifest, &m); err != nil {
		t.Fatal(err)
	}
	if m.ArtifactType != "application/vnd.osbuildkit.disk.qcow2" || len(m.Layers) != 1 || m.Layers[0].Size != int64(len("QFI\xfb disk")) ||
		m.Layers[0].Annotations[ocispec.AnnotationTitle] != "disk.qcow2" || m.Config.MediaType != ocispec.MediaTypeEmptyJSON {
		t.Errorf("manifest %s", desc.Manifest)
	}
	if m.Annotations["org.osbuildkit.disk.format"] != "qcow2" || m.Annotations["org.osbuildkit.disk.checksum"] != m.Layers[0].Digest.String() ||
		m.Annotations["org.example.built-by"] != "test" {
		t.Errorf("annotations %v", m.Annotations)
	}
}

func TestFromExportWantsOneFile(t *testing.T) {
	disk := diskFile(t, "disk.raw", "raw")
	dir := filepath.Dir(disk)
	if a, doc, err := FromExport(dir); err != nil || a.format != "raw" || doc != "" {
		t.Errorf("one file: %q %v", doc, err)
	}
	// The export's SBOM beside it (build --sbom) is not a second file.
	if err := os.WriteFile(disk+".spdx.json", []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if a, doc, err := FromExport(dir); err != nil || a.format != "raw" || doc != disk+".spdx.json" {
		t.Errorf("a file and its SBOM: %q %v", doc, err)
	}
	if err := os.Mkdir(filepath.Join(dir, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, _, err := FromExport(dir); err == nil || !strings.Contains(err.Error(), "holds 3 entries") {
		t.Errorf("a tree: %v", err)
	}
}
