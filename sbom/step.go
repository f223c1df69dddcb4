package sbom

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	spdxjson "github.com/spdx/tools-golang/json"
)

// The SBOM step's contract: package llb mounts the exported pipeline's
// tree and the trees it was built from, read-only, and a Spec; the
// helper's "sbom --step" writes one document into OutDir.
const (
	StepSpecDir  = "/run/osbuild/sbom-spec"
	StepSpecFile = "sbom.json"
	StepTreeDir  = "/run/osbuild/trees" // StepTreeDir/N is Spec.Trees[N]
	StepOutDir   = "/run/osbuild/sbom"
	// TreeFile is the document's name when the export is a tree (BuildKit's
	// local exporter names its SBOM attestation so); a single-file export
	// X gets X.spdx.json.
	TreeFile = "sbom.spdx.json"
	Suffix   = ".spdx.json"
)

// Spec is what the translator hands an SBOM step.
type Spec struct {
	// Name is the exported pipeline.
	Name string `json:"name"`
	// Trees are the pipelines whose trees are mounted, the export's first,
	// then those its stages take trees from; the first with a dpkg
	// database gives the packages.
	Trees []string `json:"trees"`
	// Created is the document's creation time in Unix seconds (the
	// manifest's source-epoch); zero means the time the step runs.
	Created int64 `json:"created,omitempty"`
	// Sources are the curl and inline sources the trees were built from.
	Sources []Source `json:"sources,omitempty"`
	// File, when set, names the document (several exports attested in
	// one build need a name each); otherwise FILE.spdx.json for a
	// single-file export FILE, TreeFile for a tree.
	File string `json:"file,omitempty"`
}

// Source is a file a pipeline took from the manifest's sources.
type Source struct {
	// Checksum is the source's "sha256:…" (or another osbuild algorithm).
	Checksum string `json:"checksum"`
	// URL is where a curl source came from; empty for inline data.
	URL string `json:"url,omitempty"`
	// Package is the Debian package a locked .deb is, as "name version
	// (arch)"; empty for other files.
	Package string `json:"package,omitempty"`
}

// RunStep reads the Spec below StepSpecDir, and writes the document of
// the export mounted at StepTreeDir/0 into StepOutDir.
func RunStep(stderr io.Writer) error {
	data, err := os.ReadFile(filepath.Join(StepSpecDir, StepSpecFile))
	if err != nil {
		return err
	}
	var spec Spec
	if err := json.Unmarshal(data, &spec); err != nil {
		return fmt.Errorf("reading the SBOM spec: %w", err)
	}
	roots := make([]string, len(spec.Trees))
	for i := range spec.Trees {
		roots[i] = filepath.Join(StepTreeDir, fmt.Sprint(i))
	}
	in, file, err := Describe(spec, roots, time.Now())
	if err != nil {
		return err
	}
	if in.Packages == nil {
		fmt.Fprintf(stderr, "pipeline %s has no dpkg database, nor do the trees it was built from: its SBOM lists its sources only\n", spec.Name)
	}
	return writeDoc(filepath.Join(StepOutDir, file), Document(in))
}

// Describe is what the document of spec's export says, its trees at
// roots (roots[i] holding spec.Trees[i]), and the file name to give it.
func Describe(spec Spec, roots []string, now time.Time) (Input, string, error) {
	in := Input{Name: spec.Name, Sources: spec.Sources}
	file := TreeFile
	if name, ok := singleFile(roots[0]); ok {
		sum, err := fileSHA256(filepath.Join(roots[0], name))
		if err != nil {
			return in, "", err
		}
		in.File, in.FileSHA256, file = name, sum, name+Suffix
	}
	for i, root := range roots {
		pkgs, err := Installed(root)
		if err != nil {
			return in, "", fmt.Errorf("reading the dpkg database of pipeline %s: %w", spec.Trees[i], err)
		}
		if pkgs != nil {
			in.Packages, in.Distro = pkgs, Distro(root)
			break
		}
	}
	if spec.File != "" {
		file = spec.File
	}
	in.Created = now
	if spec.Created != 0 {
		in.Created = time.Unix(spec.Created, 0)
	}
	return in, file, nil
}

// singleFile is the name of a tree's only entry when that is a regular
// file: the export is an image (qcow2, tar, ISO), not a tree.
func singleFile(root string) (string, bool) {
	entries, err := os.ReadDir(root)
	if err != nil || len(entries) != 1 || !entries[0].Type().IsRegular() {
		return "", false
	}
	return entries[0].Name(), true
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return fmt.Sprintf("%x", h.Sum(nil)), nil
}

// Distro is the purl distro qualifier of the tree at root (debian-12),
// from its os-release; empty when it has none.
func Distro(root string) string {
	for _, p := range []string{"etc/os-release", "usr/lib/os-release"} {
		data, err := os.ReadFile(filepath.Join(root, p))
		if err != nil {
			continue
		}
		f := map[string]string{}
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, "="); ok {
				f[k] = strings.Trim(v, `"'`)
			}
		}
		if f["ID"] != "" && f["VERSION_ID"] != "" {
			return f["ID"] + "-" + f["VERSION_ID"]
		}
		return f["ID"]
	}
	return ""
}

// writeDoc writes doc as indented SPDX JSON, creating path's directory.
func writeDoc(path string, doc *Doc) error {
	var buf bytes.Buffer
	if err := spdxjson.Write(doc, &buf, spdxjson.Indent("  ")); err != nil {
		return fmt.Errorf("encoding the SBOM: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}
