package sbom

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
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
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range []struct{ name, data string }{
		{"oci-layout", `{"imageLayoutVersion": "1.0.0"}`},
		{"index.json", `{"schemaVersion": 2, "manifests": []}`},
		{"blobs/sha256/0123", `{"config": "json, not a layer"}`},
		{"blobs/sha256/4567", string(data)},
	} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(f.data))
	}
	tw.Close()
	out := filepath.Join(t.TempDir(), "image.oci.tar")
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}
