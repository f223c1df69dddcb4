//go:build integration

package integration

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

const registry = "localhost:5000"

// The users' example as written: debian-basic.tar.gz.
func TestBasicTarExample(t *testing.T) {
	out := t.TempDir()
	run(t, 0, cli, "build", "--progress", "plain", "--output-directory", out, manifestFile(t, "images/user-basic-tar.json"))
	archive := filepath.Join(out, "assembler", "debian-basic.tar.gz")
	list := run(t, 0, "tar", "-tzf", archive)
	wantContains(t, "tar -tzf", list, "./etc/passwd\n", "./usr/bin/sudo\n")
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	found := false
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimSuffix(h.Name, "/") == "./home/debian" {
			found = true
			if h.Uid != 1000 || h.Gid != 1000 || h.Uname != "" {
				t.Errorf("./home/debian owner %d:%d %q, want numeric 1000:1000", h.Uid, h.Gid, h.Uname)
			}
		}
	}
	if !found {
		t.Error("the archive has no ./home/debian")
	}
}

// The users' OSTree example as written.
func TestOstreeExample(t *testing.T) {
	out := t.TempDir()
	run(t, 0, cli, "build", "--progress", "plain", "--output-directory", out, manifestFile(t, "images/user-ostree.json"))
	repo := filepath.Join(out, "assembler", "debian-ostree")
	ref := "debian/bookworm/x86_64/standard"
	log := run(t, 0, "ostree", "--repo="+repo, "log", ref)
	if n := strings.Count(log, "\ncommit ") + strings.Count(log[:min(len(log), 7)], "commit "); n != 1 {
		t.Errorf("ostree log shows %d commits:\n%s", n, log)
	}
	wantContains(t, "ostree ls -R", run(t, 0, "ostree", "--repo="+repo, "ls", "-R", ref), "/usr/bin/bash\n")
	if mode := strings.TrimSpace(run(t, 0, "ostree", "--repo="+repo, "config", "get", "core.mode")); !strings.HasPrefix(mode, "archive") {
		t.Errorf("repository mode %q, want archive", mode)
	}
}

func TestOCIArchive(t *testing.T) {
	manifest := manifestFile(t, "integration/testdata/small-disk.json")
	out := t.TempDir()
	run(t, 0, cli, "build", "--progress", "plain", "--export", "oci", "--output-directory", out, manifest)
	archive := filepath.Join(out, "oci", "debian.oci.tar")
	var inspect struct {
		Architecture string
		Os           string
		Labels       map[string]string
		Layers       []string
	}
	if err := json.Unmarshal([]byte(run(t, 0, "skopeo", "inspect", "oci-archive:"+archive)), &inspect); err != nil {
		t.Fatal(err)
	}
	if inspect.Architecture != "amd64" || inspect.Os != "linux" || inspect.Labels["org.example.built-by"] != "osbuildkit" || len(inspect.Layers) != 1 {
		t.Errorf("skopeo inspect: %+v", inspect)
	}
	// BuildKit runs it as a base image, from an OCI layout.
	layout := filepath.Join(t.TempDir(), "layout")
	os.MkdirAll(layout, 0o755)
	run(t, 0, "tar", "-xf", archive, "-C", layout)
	var index struct {
		Manifests []struct{ Digest string } `json:"manifests"`
	}
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(layout, "index.json"))), &index); err != nil || len(index.Manifests) != 1 {
		t.Fatalf("index.json: %v %+v", err, index)
	}
	// osbuildkit sbom reads the archive's image: the packages of its layer.
	var image struct {
		Layers []struct{ Digest string } `json:"layers"`
	}
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(layout, "blobs", strings.Replace(index.Manifests[0].Digest, ":", "/", 1)))), &image); err != nil || len(image.Layers) != 1 {
		t.Fatalf("the image manifest: %v %+v", err, image)
	}
	layerTree := t.TempDir()
	run(t, 0, "tar", "-xf", filepath.Join(layout, "blobs", strings.Replace(image.Layers[0].Digest, ":", "/", 1)), "-C", layerTree, "./var/lib/dpkg")
	doc := filepath.Join(t.TempDir(), "oci.spdx.json")
	run(t, 0, cli, "sbom", "-o", doc, archive)
	d, _ := readSPDX(t, doc)
	want := dpkgQuery(t, layerTree)
	if len(want) < 50 {
		t.Fatalf("dpkg-query lists %d packages in the layer", len(want))
	}
	sameList(t, "osbuildkit sbom debian.oci.tar", d.debs(), want)
	ctx := t.TempDir()
	os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte("FROM base\nRUN /bin/true && echo ran > /ran\n"), 0o644)
	res := filepath.Join(t.TempDir(), "res")
	run(t, 0, "docker", "buildx", "build", "--progress", "plain", "--build-context", "base=oci-layout://"+layout+"@"+index.Manifests[0].Digest,
		"--output", "type=local,dest="+res, ctx)
	wantContains(t, "/ran", readFile(t, filepath.Join(res, "ran")), "ran\n")
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	io.Copy(h, f)
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

func ref(t *testing.T, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(s, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// layerFile returns a file's bytes from an image layer in the registry.
func layerFile(t *testing.T, image, path string) ([]byte, *tar.Header) {
	t.Helper()
	img, err := remote.Image(ref(t, image))
	if err != nil {
		t.Fatalf("pulling %s: %v", image, err)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if err != nil {
				break
			}
			if strings.TrimPrefix(h.Name, "./") == strings.TrimPrefix(path, "/") {
				data, _ := io.ReadAll(tr)
				rc.Close()
				return data, h
			}
		}
		rc.Close()
	}
	t.Fatalf("%s has no %s", image, path)
	return nil, nil
}

func metadataDigest(t *testing.T, file string) string {
	t.Helper()
	var md map[string]any
	if err := json.Unmarshal([]byte(readFile(t, file)), &md); err != nil {
		t.Fatal(err)
	}
	d, _ := md["containerimage.digest"].(string)
	return d
}

func remoteDigest(t *testing.T, image string) string {
	t.Helper()
	desc, err := remote.Get(ref(t, image))
	if err != nil {
		t.Fatalf("getting %s: %v", image, err)
	}
	return desc.Digest.String()
}

// buildx with the syntax key: the OS tree as a container image, and a disk
// as a KubeVirt containerDisk, pushed and pulled back.
func TestPushImages(t *testing.T) {
	manifest := manifestFile(t, "integration/testdata/small-disk.json")
	withSyntax := withSyntaxKey(t, manifest)
	dir := filepath.Dir(manifest)
	buildx := func(extra ...string) {
		args := append([]string{"buildx", "build", "--progress", "plain", "-f", withSyntax}, extra...)
		run(t, 0, "docker", append(args, dir)...)
	}

	t.Run("os image", func(t *testing.T) {
		md := filepath.Join(t.TempDir(), "md.json")
		image := registry + "/debian-os:1"
		buildx("--target", "tree", "--metadata-file", md, "--output", "type=image,name="+image+",push=true")
		if got, want := remoteDigest(t, image), metadataDigest(t, md); got != want {
			t.Errorf("registry has %s, the build pushed %s", got, want)
		}
		local := filepath.Join(t.TempDir(), "tree")
		buildx("--target", "tree", "--output", "type=local,dest="+local)
		data, h := layerFile(t, image, "/etc/passwd")
		if !bytes.Equal(data, []byte(readFile(t, filepath.Join(local, "etc/passwd")))) || h.Uid != 0 {
			t.Error("/etc/passwd in the pushed image differs from the exported tree's")
		}
	})

	t.Run("containerDisk", func(t *testing.T) {
		md := filepath.Join(t.TempDir(), "md.json")
		image := registry + "/debian-containerdisk:1"
		buildx("--target", "disk", "--build-arg", "OSBUILDKIT_LAYOUT=containerdisk", "--metadata-file", md, "--output", "type=image,name="+image+",push=true")
		if got, want := remoteDigest(t, image), metadataDigest(t, md); got != want {
			t.Errorf("registry has %s, the build pushed %s", got, want)
		}
		local := filepath.Join(t.TempDir(), "disk")
		buildx("--target", "disk", "--output", "type=local,dest="+local)
		data, h := layerFile(t, image, "/disk/disk.qcow2")
		if h.Uid != 107 || h.Gid != 107 {
			t.Errorf("/disk/disk.qcow2 is owned by %d:%d, want 107:107", h.Uid, h.Gid)
		}
		sum := sha256.Sum256(data)
		if got := "sha256:" + hex.EncodeToString(sum[:]); got != sha256File(t, filepath.Join(local, "disk.qcow2")) {
			t.Error("the containerDisk's qcow2 differs from the exported one")
		}
	})
}

// osbuildkit build --push: the disk as an OCI artifact.
func TestPushDiskArtifact(t *testing.T) {
	manifest := manifestFile(t, "integration/testdata/small-disk.json")
	out := t.TempDir()
	image := registry + "/debian-disk-artifact:1"
	run(t, 0, cli, "build", "--progress", "plain", "--export", "disk", "--output-directory", out, "--push", image, manifest)
	checkDiskArtifact(t, image, filepath.Join(out, "disk", "disk.qcow2"), "qcow2")
}

func TestPushErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "x.qcow2")
	os.WriteFile(file, []byte("not really a disk"), 0o644)
	out := run(t, 1, cli, "push", file, "127.0.0.1:1/nothing:1")
	wantContains(t, "push to a closed port", out, "pushing", "connection refused")
	out = run(t, 1, cli, "push", file, strings.TrimPrefix(webURL, "http://")+"/not-a-registry:1")
	wantContains(t, "push to a web server", out, "pushing")
	out = run(t, 2, cli, "push", filepath.Join(t.TempDir(), "disk.bin"), registry+"/x:1")
	wantContains(t, "unknown format", out, "pass --format")
	if _, err := remote.Get(ref(t, registry+"/x:1")); err == nil {
		t.Error("a failed push left a tag behind")
	}
}

func TestUnknownCompressionFails(t *testing.T) {
	manifest := manifestFile(t, "images/user-basic-tar.json", func(s string) string {
		return strings.Replace(s, `"compression": "gzip"`, `"compression": "brotli"`, 1)
	})
	out := run(t, 2, cli, "build", "--output-directory", t.TempDir(), manifest)
	wantContains(t, "error", out, ".assembler.options.compression", "'brotli' is not one of")
}
