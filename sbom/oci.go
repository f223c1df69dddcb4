package sbom

import (
	"archive/tar"
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// An OCI archive's tree is its image's layers applied in the manifest's
// order, with their whiteouts, as a container runtime unpacks them: the
// blobs' order in the archive (by digest) says nothing. Of each layer only
// what the SBOM reads is kept (wanted), and what removes it: whiteouts
// (.wh.NAME, and .wh..wh..opq for a directory's lower contents) and
// entries of another type at the same path. An archive holding several
// image manifests (platforms) is read for its index's first.

// ociLayout holds what the first pass over an archive found that an OCI
// image layout has: its index.json and its small JSON blobs (manifests,
// indexes), by digest.
type ociLayout struct {
	marker bool // an oci-layout file
	index  []byte
	blobs  map[string][]byte
}

// found says whether the archive is an OCI image layout.
func (l *ociLayout) found() bool { return l.marker && l.index != nil }

// maxJSONBlob is the largest blob kept as a possible manifest.
const maxJSONBlob = 4 << 20

// blobDigest is the digest a blob's path in the archive names, "" when
// the path is not a blob's.
func blobDigest(name string) string {
	dir, hex := path.Split(strings.TrimPrefix(path.Clean("/"+name), "/"))
	if !strings.HasPrefix(dir, "blobs/") || strings.Count(dir, "/") != 2 || hex == "" {
		return ""
	}
	return strings.TrimSuffix(strings.TrimPrefix(dir, "blobs/"), "/") + ":" + hex
}

// note keeps the entry h of the first pass if the layout may need it.
func (l *ociLayout) note(h *tar.Header, r io.Reader) error {
	name := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
	if name == "oci-layout" {
		l.marker = true
		return nil
	}
	d := blobDigest(name)
	if name != "index.json" && (d == "" || h.Size > maxJSONBlob) {
		return nil
	}
	br := bufio.NewReader(r)
	if b, _ := br.Peek(64); name != "index.json" && !bytes.HasPrefix(bytes.TrimLeft(b, " \t\r\n"), []byte("{")) {
		return nil // a layer, not a manifest
	}
	data, err := io.ReadAll(br)
	if err != nil {
		return err
	}
	if name == "index.json" {
		l.index = data
		return nil
	}
	if l.blobs == nil {
		l.blobs = map[string][]byte{}
	}
	l.blobs[d] = data
	return nil
}

// ociDescriptors is the part of an image index or manifest read here.
type ociDescriptors struct {
	Manifests []struct {
		Digest string `json:"digest"`
	} `json:"manifests"`
	Layers []struct {
		Digest string `json:"digest"`
	} `json:"layers"`
}

// layers is the digests of the image's layers, bottom first: the index's
// first manifest, through nested indexes.
func (l *ociLayout) layers() ([]string, error) {
	data, what := l.index, "index.json"
	for depth := 0; depth < 8; depth++ {
		var d ociDescriptors
		if err := json.Unmarshal(data, &d); err != nil {
			return nil, fmt.Errorf("OCI archive: %s: %w", what, err)
		}
		if len(d.Manifests) == 0 {
			if d.Layers == nil {
				return nil, fmt.Errorf("OCI archive: %s names no image manifest", what)
			}
			out := make([]string, len(d.Layers))
			for i, ly := range d.Layers {
				out[i] = ly.Digest
			}
			return out, nil
		}
		what = d.Manifests[0].Digest
		if data = l.blobs[what]; data == nil {
			return nil, fmt.Errorf("OCI archive: the manifest %s is not in the archive", what)
		}
	}
	return nil, errors.New("OCI archive: indexes nested too deep")
}

// fromOCI extracts into out the wanted files of the OCI archive file,
// whose layout the first pass read.
func fromOCI(file string, l *ociLayout, out string) error {
	digests, err := l.layers()
	if err != nil {
		return err
	}
	pos := map[string][]int{}
	for i, d := range digests {
		pos[d] = append(pos[d], i)
	}
	layers := make([]*layerFiles, len(digests))
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	head, _ := r.Peek(512 + 262)
	err = eachEntry(r, head, func(h *tar.Header, r io.Reader) error {
		at, ok := pos[blobDigest(h.Name)]
		if !ok || h.Typeflag != tar.TypeReg {
			return nil
		}
		lf, err := readLayer(r)
		if err != nil {
			return fmt.Errorf("layer %s: %w", digests[at[0]], err)
		}
		for _, i := range at {
			layers[i] = lf
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for i, lf := range layers {
		if lf == nil {
			return fmt.Errorf("OCI archive: the layer %s is not in the archive", digests[i])
		}
		if err := lf.applyTo(out); err != nil {
			return fmt.Errorf("layer %s: %w", digests[i], err)
		}
	}
	return nil
}

// layerFiles is what one layer does to the wanted files: it removes paths
// (removed), empties directories (opaque), and writes files, in order (a
// few MB: a dpkg database and copyright files).
type layerFiles struct {
	removed []string
	opaque  []string
	files   []layerFile
}

type layerFile struct {
	name string
	data []byte
}

// readLayer reads a layer blob (a tar archive, perhaps compressed),
// keeping its wanted files.
func readLayer(r io.Reader) (*layerFiles, error) {
	br := bufio.NewReader(r)
	head, _ := br.Peek(512 + 262)
	if !isArchive(head) {
		return nil, errors.New("not a tar archive")
	}
	lf := &layerFiles{}
	err := eachEntry(br, head, func(h *tar.Header, r io.Reader) error {
		name := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
		parent, base := path.Split(name)
		switch {
		case base == ".wh..wh..opq":
			lf.opaque = append(lf.opaque, path.Clean(parent))
		case strings.HasPrefix(base, ".wh."):
			lf.removed = append(lf.removed, parent+strings.TrimPrefix(base, ".wh."))
		case h.Typeflag == tar.TypeReg && wanted(name):
			data, err := io.ReadAll(r)
			lf.files = append(lf.files, layerFile{name, data})
			return err
		case h.Typeflag != tar.TypeDir && name != "":
			// A link, device or unwanted file here hides the lower
			// layers' entry at this path.
			lf.removed = append(lf.removed, name)
		}
		return nil
	})
	return lf, err
}

// applyTo applies the layer to the tree at out: its removals, then its
// files.
func (lf *layerFiles) applyTo(out string) error {
	for _, d := range lf.opaque {
		entries, err := os.ReadDir(filepath.Join(out, filepath.FromSlash(d)))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		for _, e := range entries {
			if err := os.RemoveAll(filepath.Join(out, filepath.FromSlash(d), e.Name())); err != nil {
				return err
			}
		}
	}
	for _, p := range lf.removed {
		if err := os.RemoveAll(filepath.Join(out, filepath.FromSlash(p))); err != nil {
			return err
		}
	}
	for _, f := range lf.files {
		dst := filepath.Join(out, filepath.FromSlash(f.name))
		if err := os.RemoveAll(dst); err != nil {
			return err
		}
		if err := writeFile(dst, bytes.NewReader(f.data)); err != nil {
			return err
		}
	}
	return nil
}
