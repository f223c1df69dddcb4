//go:build integration

package integration

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// The SBOM of a tree and of the disk made from it, through every way in:
// the CLI writes the document beside the export; buildctl and buildx get
// it as BuildKit's SBOM attestation, written beside the local export as an
// in-toto statement whose subject is the disk. Each lists exactly the
// packages dpkg-query lists in the tree (and syft's own cataloguer finds),
// syft reads it, it meets the NTIA minimum elements, and it is cached with
// the tree.
func TestSBOMEveryWayIn(t *testing.T) {
	manifest := manifestFile(t, "integration/testdata/small-disk.json")
	tree := filepath.Join(t.TempDir(), "tree")
	ways[0].build(t, manifest, tree, buildOpts{target: "tree", sbom: true})
	want := dpkgQuery(t, tree)
	if len(want) < 50 {
		t.Fatalf("dpkg-query lists %d packages in the tree", len(want))
	}
	sameList(t, "syft's own scan of the tree", syftScanDebs(t, tree), want)
	treeDoc := filepath.Join(tree, "sbom.spdx.json")
	d, _ := readSPDX(t, treeDoc)
	checkNTIA(t, "the tree's SBOM", d)
	sameList(t, "the tree's SBOM", d.debs(), want)
	sameList(t, "syft reading the tree's SBOM", syftDebs(t, treeDoc), want)
	if root := d.Packages[0]; root.FileName != "" || root.Name != "tree" {
		t.Errorf("the tree's SBOM describes %q (file %q)", root.Name, root.FileName)
	}

	for _, w := range ways {
		t.Run(w.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			w.build(t, manifest, out, buildOpts{target: "disk", sbom: true})
			path := filepath.Join(out, "disk.qcow2.spdx.json")
			d, subjects := readSPDX(t, path)
			sum := strings.TrimPrefix(sha256File(t, filepath.Join(out, "disk.qcow2")), "sha256:")
			if w.name != "osbuildkit" && subjects["disk.qcow2"] != sum {
				t.Errorf("the attestation's subjects %v do not name disk.qcow2 (sha256 %s)", subjects, sum)
			}
			root := d.Packages[0]
			if root.FileName != "disk.qcow2" || len(root.Checksums) != 1 || root.Checksums[0].Value != sum {
				t.Errorf("the document describes %q %+v, not the disk (sha256 %s)", root.FileName, root.Checksums, sum)
			}
			checkNTIA(t, w.name, d)
			sameList(t, w.name+"'s SBOM", d.debs(), want)
			plain := path
			if subjects != nil { // syft reads the document, not the statement
				plain = filepath.Join(t.TempDir(), "doc.spdx.json")
				if err := os.WriteFile(plain, predicate(t, path), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			sameList(t, "syft reading "+w.name+"'s SBOM", syftDebs(t, plain), want)
			if w.name == "osbuildkit" {
				// osbuildkit sbom reads the qcow2 itself, without mounting.
				readBack := filepath.Join(t.TempDir(), "read.spdx.json")
				run(t, 0, cli, "sbom", "-o", readBack, filepath.Join(out, "disk.qcow2"))
				rd, _ := readSPDX(t, readBack)
				sameList(t, "osbuildkit sbom disk.qcow2", rd.debs(), want)
				checkNTIA(t, "osbuildkit sbom", rd)
			}
		})
	}

	// A rebuild takes the SBOM from the cache with the disk.
	log := run(t, 0, cli, "build", "--progress", "rawjson", "--sbom", "--export", "disk", "--output-directory", t.TempDir(), manifest)
	v, ok := vertices(t, log)["[disk] sbom"]
	if !ok || !cached(v) {
		t.Errorf("the unchanged rebuild's [disk] sbom step: %+v (present %v), want it cached", v, ok)
	}
}

// predicate is the raw predicate of the in-toto statement at path: the
// SPDX document as BuildKit stored it.
func predicate(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Predicate json.RawMessage `json:"predicate"`
	}
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatal(err)
	}
	return st.Predicate
}

// buildx --sbom=true --provenance=mode=max with a pushed image: the index
// holds our SBOM (imagetools inspect shows its packages) and the
// provenance names the manifest as the build's configuration.
func TestSBOMAttestationInPushedImage(t *testing.T) {
	manifest := withSyntaxKey(t, manifestFile(t, "integration/testdata/small-disk.json"))
	image := registry + "/debian-os-sbom:1"
	run(t, 0, "docker", "buildx", "build", "--progress", "plain", "-f", manifest, "--target", "tree",
		"--sbom=true", "--provenance=mode=max", "--output", "type=image,name="+image+",push=true", filepath.Dir(manifest))
	tree := filepath.Join(t.TempDir(), "tree")
	ways[0].build(t, manifest, tree, buildOpts{target: "tree"})
	want := dpkgQuery(t, tree)

	out := run(t, 0, "docker", "buildx", "imagetools", "inspect", image, "--format", "{{json .SBOM}}")
	var sbom struct {
		SPDX spdxDoc `json:"SPDX"`
	}
	if err := json.Unmarshal([]byte(out), &sbom); err != nil {
		t.Fatalf("imagetools inspect's SBOM: %v\n%s", err, tail(out, 5))
	}
	if sbom.SPDX.CreationInfo.Creators == nil || sbom.SPDX.CreationInfo.Creators[0] != "Tool: osbuildkit" {
		t.Errorf("the pushed SBOM is not ours (BuildKit's scanner ran?): creators %v", sbom.SPDX.CreationInfo.Creators)
	}
	sameList(t, "the pushed image's SBOM", sbom.SPDX.debs(), want)
	checkNTIA(t, "the pushed SBOM", sbom.SPDX)

	out = run(t, 0, "docker", "buildx", "imagetools", "inspect", image, "--format", "{{json .Provenance}}")
	var prov struct {
		SLSA struct {
			BuildDefinition struct {
				ExternalParameters struct {
					ConfigSource struct {
						Path string `json:"path"`
					} `json:"configSource"`
					Request struct {
						Frontend string `json:"frontend"`
					} `json:"request"`
				} `json:"externalParameters"`
			} `json:"buildDefinition"`
		} `json:"SLSA"`
	}
	if err := json.Unmarshal([]byte(out), &prov); err != nil {
		t.Fatalf("imagetools inspect's provenance: %v\n%s", err, tail(out, 5))
	}
	if p := prov.SLSA.BuildDefinition.ExternalParameters.ConfigSource.Path; p != filepath.Base(manifest) {
		t.Errorf("the provenance's configuration is %q, want the manifest %s\n%s", p, filepath.Base(manifest), tail(out, 30))
	}
}

// build --push attaches the SBOM to the disk artifact as its referrer:
// found through the referrers tag on our registry, which has no referrers
// API, and through the referrers API of a registry that has one
// (go-containerregistry's, served on loopback).
func TestSBOMReferrer(t *testing.T) {
	manifest := manifestFile(t, "integration/testdata/small-disk.json")
	out := t.TempDir()
	image := registry + "/debian-disk-sbom:1"
	run(t, 0, cli, "build", "--progress", "plain", "--export", "disk", "--output-directory", out, "--push", image, manifest)
	disk := filepath.Join(out, "disk", "disk.qcow2")
	doc := disk + ".spdx.json"
	desc, err := remote.Get(ref(t, image))
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Referrers(ref(t, image).Context().Digest(desc.Digest.String()))
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 1 || im.Manifests[0].ArtifactType != "application/spdx+json" {
		t.Fatalf("the disk's referrers: %+v", im.Manifests)
	}
	img, err := remote.Image(ref(t, image).Context().Digest(im.Manifests[0].Digest.String()))
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("the referrer's layers: %d, %v", len(layers), err)
	}
	rc, err := layers[0].Compressed()
	if err != nil {
		t.Fatal(err)
	}
	pulled, _ := io.ReadAll(rc)
	rc.Close()
	if string(pulled) != readFile(t, doc) {
		t.Error("the referrer's layer is not the SBOM written beside the disk")
	}

	// A registry with the referrers API: osbuildkit push finds the SBOM
	// beside the disk and attaches it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: ggcrregistry.New(ggcrregistry.WithReferrersSupport(true), ggcrregistry.Logger(log.New(io.Discard, "", 0)))}
	go srv.Serve(ln)
	defer srv.Close()
	target := ln.Addr().String() + "/disk:1"
	pushed := run(t, 0, cli, "push", disk, target)
	wantContains(t, "osbuildkit push", pushed, "attached its SBOM")
	first, _, _ := strings.Cut(pushed, "\n")
	_, dgst, _ := strings.Cut(first, "@")
	resp, err := http.Get(fmt.Sprintf("http://%s/v2/disk/referrers/%s", ln.Addr(), dgst))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var list struct {
		Manifests []struct {
			Digest string `json:"digest"`
		} `json:"manifests"`
	}
	if err := json.Unmarshal(body, &list); err != nil || resp.StatusCode != http.StatusOK || len(list.Manifests) != 1 {
		t.Fatalf("the referrers API for %s: %d %s", dgst, resp.StatusCode, body)
	}
	if _, err := remote.Image(ref(t, ln.Addr().String()+"/disk@"+list.Manifests[0].Digest)); err != nil {
		t.Errorf("the listed referrer: %v", err)
	}
}

// --sbom on a pipeline with no dpkg database (osbuild's doc-3: a curl and
// an inline file) gives a valid SBOM of its sourced files, and says so.
func TestSBOMOfPlainFiles(t *testing.T) {
	manifest := manifestFile(t, "manifest/testdata/osbuild-docs/doc-3.json")
	out := t.TempDir()
	log := run(t, 0, cli, "build", "--progress", "plain", "--sbom", "--output-directory", out, manifest)
	wantContains(t, "the build's log", log, "pipeline res has no dpkg database")
	path := filepath.Join(out, "res", "sbom.spdx.json")
	d, _ := readSPDX(t, path)
	checkNTIA(t, "doc-3", d)
	if debs := d.debs(); len(debs) != 0 {
		t.Errorf("packages in a tree without dpkg: %v", debs)
	}
	found := map[string]string{}
	for _, p := range d.Packages[1:] {
		if len(p.Checksums) == 1 && p.Checksums[0].Algorithm == "SHA256" {
			found[p.Checksums[0].Value] = p.DownloadLocation
		}
	}
	if found["29ddbe330656a28c0cd1f77332464b74146b32765bc9194112fdc0ffdade8727"] != webURL+"/curl-source-file.txt" ||
		found["659c11543b435c1503e4636cd9ad810f5cb99a3cafaf7be12a34e2d026ec33b7"] != "NONE" || len(d.Packages) != 3 {
		t.Errorf("the sourced files: %v (%d packages)", found, len(d.Packages))
	}
	syftDebs(t, path) // syft reads it
}
