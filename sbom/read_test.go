package sbom

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
)

// tarOf writes the test tree as a tar archive, compressed by wrap, with
// "./" names as tar -C root . writes them.
func tarOf(t *testing.T, root string, wrap func(io.Writer) io.WriteCloser) string {
	t.Helper()
	var buf bytes.Buffer
	w := wrap(&buf)
	tw := tar.NewWriter(w)
	err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		h, _ := tar.FileInfoHeader(fi, "")
		h.Name = "./" + rel
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if fi.Mode().IsRegular() {
			data, _ := os.ReadFile(p)
			_, err = tw.Write(data)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	tw.Close()
	w.Close()
	out := filepath.Join(t.TempDir(), "image.tar")
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// osbuildkit sbom reads a tree, a tar archive (plain, gzip, zstd), an OCI
// archive and a raw ext4 image (debugfs, no mount) to the same packages; a
// file that is none of those is an error.
func TestRead(t *testing.T) {
	root := tree(t)
	want, err := Installed(root)
	if err != nil {
		t.Fatal(err)
	}
	inputs := map[string]string{
		"tree": root,
		"tar":  tarOf(t, root, func(w io.Writer) io.WriteCloser { return nopCloser{w} }),
		"gzip": tarOf(t, root, func(w io.Writer) io.WriteCloser { return gzip.NewWriter(w) }),
		"zstd": tarOf(t, root, func(w io.Writer) io.WriteCloser {
			z, _ := zstd.NewWriter(w)
			return z
		}),
	}
	inputs["oci"] = ociOf(t, inputs["gzip"])
	if _, err := exec.LookPath("mkfs.ext4"); err == nil {
		img := filepath.Join(t.TempDir(), "root.ext4")
		if out, err := exec.Command("mkfs.ext4", "-q", "-d", root, img, "8M").CombinedOutput(); err != nil {
			t.Fatalf("mkfs.ext4: %v: %s", err, out)
		}
		inputs["ext4"] = img
	} else {
		t.Log("no mkfs.ext4 here: the disk image case is left to the integration tests")
	}
	for kind, p := range inputs {
		in, err := Read(p, time.Unix(0, 0))
		if err != nil {
			t.Errorf("%s: %v", kind, err)
			continue
		}
		if len(in.Packages) != len(want) || in.Packages[0].Name != want[0].Name || strings.Join(in.Packages[0].Licenses, ",") != strings.Join(want[0].Licenses, ",") {
			t.Errorf("%s: %+v, want %+v", kind, in.Packages, want)
		}
		if (kind == "tree") != (in.File == "") || (kind != "tree" && len(in.FileSHA256) != 64) {
			t.Errorf("%s: file %q %q", kind, in.File, in.FileSHA256)
		}
	}
	junk := filepath.Join(t.TempDir(), "junk")
	if err := os.WriteFile(junk, []byte("not an image"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(junk, time.Now()); err == nil || !strings.Contains(err.Error(), "not a tree, a tar archive") {
		t.Errorf("junk: %v", err)
	}
	if _, err := Read(filepath.Join(t.TempDir(), "missing"), time.Now()); err == nil {
		t.Error("a missing file read")
	}
}

// ociOf is an OCI archive whose one layer is the archive at layer.
func ociOf(t *testing.T, layer string) string {
	t.Helper()
	data, err := os.ReadFile(layer)
	if err != nil {
		t.Fatal(err)
	}
	return ociArchive(t, [][]byte{data}, false)
}

// ociArchive is an OCI archive of an image of layers (bottom first), the
// blobs written in the reverse of that order when reversed.
func ociArchive(t *testing.T, layers [][]byte, reversed bool) string {
	t.Helper()
	digest := func(b []byte) string { return fmt.Sprintf("sha256:%x", sha256.Sum256(b)) }
	config := []byte(`{"architecture": "amd64", "os": "linux"}`)
	manifest := `{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": {"digest": "` + digest(config) + `"}, "layers": [`
	for i, l := range layers {
		if i > 0 {
			manifest += ", "
		}
		manifest += `{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "` + digest(l) + `"}`
	}
	manifest += "]}"
	index := `{"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "` + digest([]byte(manifest)) + `"}]}`
	blobs := slices.Clone(layers)
	if reversed {
		slices.Reverse(blobs)
	}
	blobs = append(blobs, config, []byte(manifest))
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	write := func(name string, data []byte) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(data)
	}
	write("oci-layout", []byte(`{"imageLayoutVersion": "1.0.0"}`))
	for _, b := range blobs {
		write("blobs/sha256/"+strings.TrimPrefix(digest(b), "sha256:"), b)
	}
	write("index.json", []byte(index))
	tw.Close()
	out := filepath.Join(t.TempDir(), "image.oci.tar")
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// layerTar is a gzip tar layer of files (name: content; a name ending in
// / is a directory, content "->X" a symbolic link to X).
func layerTar(t *testing.T, files [][2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, f := range files {
		h := &tar.Header{Name: f[0], Mode: 0o644, Size: int64(len(f[1])), Typeflag: tar.TypeReg}
		switch {
		case strings.HasSuffix(f[0], "/"):
			h.Typeflag, h.Mode, h.Size = tar.TypeDir, 0o755, 0
		case strings.HasPrefix(f[1], "->"):
			h.Typeflag, h.Linkname, h.Size = tar.TypeSymlink, strings.TrimPrefix(f[1], "->"), 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write([]byte(f[1]))
		}
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

// An OCI archive's SBOM is of its image's layers applied in the
// manifest's order, whatever the blobs' order in the archive: an upper
// layer's dpkg database replaces the lower's (f removed, e added), and its whiteouts (a file,
// an opaque directory) and symbolic links hide the lower layers' files.
func TestReadOCILayers(t *testing.T) {
	stanza := func(pkg string) string {
		return "Package: " + pkg + "\nStatus: install ok installed\nVersion: 1.0\nArchitecture: amd64\n\n"
	}
	dep5 := func(lic string) string {
		return "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: " + lic + "\n"
	}
	bottom := layerTar(t, [][2]string{
		{"var/lib/dpkg/status", stanza("a") + stanza("b") + stanza("c") + stanza("d") + stanza("f")},
		{"usr/share/doc/a/copyright", dep5("MIT")},
		{"usr/share/doc/b/copyright", dep5("GPL-2")},
		{"usr/share/doc/c/copyright", dep5("BSD-3-clause")},
		{"usr/share/doc/d/copyright", dep5("Apache-2.0")},
	})
	top := layerTar(t, [][2]string{
		{"var/lib/dpkg/status", stanza("a") + stanza("b") + stanza("c") + stanza("d") + stanza("e")},
		{"usr/share/doc/.wh.b", ""},
		{"usr/share/doc/c/", ""},
		{"usr/share/doc/c/.wh..wh..opq", ""},
		{"usr/share/doc/d/copyright", "->../a/copyright"},
		{"usr/share/doc/e/copyright", dep5("ISC")},
	})
	want := "a MIT|b |c |d |e ISC"
	for _, reversed := range []bool{false, true} {
		in, err := Read(ociArchive(t, [][]byte{bottom, top}, reversed), time.Unix(0, 0))
		if err != nil {
			t.Fatalf("reversed %v: %v", reversed, err)
		}
		var got []string
		for _, p := range in.Packages {
			got = append(got, p.Name+" "+strings.Join(p.Licenses, ","))
		}
		if strings.Join(got, "|") != want {
			t.Errorf("blobs reversed %v: packages %q, want %q", reversed, strings.Join(got, "|"), want)
		}
	}
	// The lower layer alone has f, and b's licence.
	in, err := Read(ociArchive(t, [][]byte{bottom}, false), time.Unix(0, 0))
	if err != nil || len(in.Packages) != 5 || in.Packages[1].Name != "b" || strings.Join(in.Packages[1].Licenses, ",") != "GPL-2" {
		t.Errorf("the bottom layer alone: %+v %v", in.Packages, err)
	}
}

// An OCI archive whose index names no manifest, or a manifest or layer it
// does not hold, is an error, not an empty SBOM.
func TestReadOCIBroken(t *testing.T) {
	good := ociArchive(t, [][]byte{layerTar(t, [][2]string{{"etc/os-release", "ID=debian\n"}})}, false)
	for name, edit := range map[string]func(name string, data []byte) ([]byte, bool){
		"no manifest": func(name string, data []byte) ([]byte, bool) {
			if name == "index.json" {
				return []byte(`{"schemaVersion": 2, "manifests": []}`), true
			}
			return data, true
		},
		"manifest missing": func(name string, data []byte) ([]byte, bool) {
			return data, !bytes.Contains(data, []byte(`"layers"`))
		},
		"layer missing": func(name string, data []byte) ([]byte, bool) {
			return data, !bytes.HasPrefix(data, []byte{0x1f, 0x8b})
		},
	} {
		p := rewriteTar(t, good, edit)
		if _, err := Read(p, time.Unix(0, 0)); err == nil || !strings.Contains(err.Error(), "OCI archive") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// rewriteTar is the tar archive at p with each regular file's content
// replaced by edit's, or left out where edit says false.
func rewriteTar(t *testing.T, p string, edit func(name string, data []byte) ([]byte, bool)) string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var buf bytes.Buffer
	tr, tw := tar.NewReader(f), tar.NewWriter(&buf)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(tr)
		data, keep := edit(h.Name, data)
		if !keep {
			continue
		}
		h.Size = int64(len(data))
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write(data)
	}
	tw.Close()
	out := filepath.Join(t.TempDir(), "broken.oci.tar")
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}
