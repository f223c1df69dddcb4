package sbom

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/github/go-spdx/v2/spdxexp"
	spdxjson "github.com/spdx/tools-golang/json"
)

const status = `Package: less
Status: install ok installed
Priority: important
Architecture: amd64
Maintainer: Milan Kupcevic <milan@debian.org>
Version: 590-2.1~deb12u2
Homepage: https://www.greenwoodsoftware.com/
Description: pager program similar to more
 This package provides "less", a file pager.

Package: libc6
Status: install ok installed
Architecture: amd64
Source: glibc (2.36-9+deb12u10)
Version: 2.36-9+deb12u10
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>

Package: removed
Status: deinstall ok config-files
Architecture: amd64
Version: 1

Package: libzstd1
Status: install ok installed
Architecture: amd64
Source: libzstd (1.5.4+dfsg2-5)
Version: 1.5.4+dfsg2-5+b1
Maintainer: RPM packaging team <team+pkg-rpm@tracker.debian.org>
`

const dep5 = `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: less

Files: *
Copyright: 1984-2023 Mark Nudelman
License: GPL-3+ or BSD-2-clause

Files: debian/*
License: GPL-2+

License: GPL-3+
 The text.
`

func tree(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for p, data := range map[string]string{
		"var/lib/dpkg/status":              status,
		"usr/share/doc/less/copyright":     dep5,
		"usr/share/doc/libc6/copyright":    "This is the Debian prepackaged version of the GNU C Library.\n",
		"usr/share/doc/libzstd1/copyright": "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: BSD-3-clause and GPL-2\n\nFiles: contrib/*\nLicense: Odd-One\n",
	} {
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// The installed packages of a dpkg database, with their source packages
// and the licences of machine-readable copyright files; a package that is
// not installed is left out.
func TestInstalled(t *testing.T) {
	pkgs, err := Installed(tree(t))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range pkgs {
		got = append(got, strings.Join([]string{p.Name, p.Version, p.Architecture, p.Source, p.SourceVersion, strings.Join(p.Licenses, "|")}, " "))
	}
	want := []string{
		"less 590-2.1~deb12u2 amd64 less 590-2.1~deb12u2 GPL-3+ or BSD-2-clause|GPL-2+",
		"libc6 2.36-9+deb12u10 amd64 glibc 2.36-9+deb12u10 ",
		"libzstd1 1.5.4+dfsg2-5+b1 amd64 libzstd 1.5.4+dfsg2-5 BSD-3-clause and GPL-2|Odd-One",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if none, err := Installed(t.TempDir()); err != nil || none != nil {
		t.Errorf("a tree without dpkg: %v %v", none, err)
	}
}

// The package list of a real Debian system (this host) is what
// dpkg-query lists.
func TestInstalledIsWhatDpkgQueryLists(t *testing.T) {
	out, err := exec.Command("dpkg-query", "-W", "-f=${db:Status-Status} ${Package}:${Architecture} ${Version}\n").Output()
	if err != nil {
		t.Skipf("no dpkg here: %v", err)
	}
	var want []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if rest, ok := strings.CutPrefix(line, "installed "); ok {
			want = append(want, rest)
		}
	}
	pkgs, err := Installed("/")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range pkgs {
		got = append(got, p.Name+":"+p.Architecture+" "+p.Version)
	}
	sort.Strings(want)
	sort.Strings(got)
	if strings.Join(got, "\n") != strings.Join(want, "\n") || len(got) < 50 {
		t.Errorf("%d packages read, dpkg-query lists %d", len(got), len(want))
	}
}

// The document: valid SPDX 2.3 JSON (read back by the SPDX library), the
// image DESCRIBED and CONTAINING each package with its purl, supplier,
// source and declared licence where every name maps; the same bytes for
// the same packages and time.
func TestDocument(t *testing.T) {
	pkgs, err := Installed(tree(t))
	if err != nil {
		t.Fatal(err)
	}
	write := func() []byte {
		var b bytes.Buffer
		if err := spdxjson.Write(Document(Input{Name: "debian-bookworm", Packages: pkgs, Distro: "debian-12", Created: time.Unix(1700000000, 0)}), &b); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	data := write()
	if !bytes.Equal(data, write()) {
		t.Error("the same packages gave another document")
	}
	doc, err := spdxjson.Read(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the SPDX library cannot read the document back: %v\n%s", err, data)
	}
	if doc.SPDXVersion != "SPDX-2.3" || len(doc.Packages) != 4 || len(doc.Relationships) != 4 || doc.CreationInfo.Created != "2023-11-14T22:13:20Z" {
		t.Errorf("document: %s, %d packages, %d relationships, created %s", doc.SPDXVersion, len(doc.Packages), len(doc.Relationships), doc.CreationInfo.Created)
	}
	less := doc.Packages[1]
	if less.PackageExternalReferences[0].Locator != "pkg:deb/debian/less@590-2.1~deb12u2?arch=amd64&distro=debian-12" {
		t.Errorf("purl %s", less.PackageExternalReferences[0].Locator)
	}
	if less.PackageSupplier.Supplier != "Milan Kupcevic (milan@debian.org)" || less.PackageSupplier.SupplierType != "Person" {
		t.Errorf("supplier %+v", less.PackageSupplier)
	}
	if less.PackageLicenseDeclared != "(GPL-3.0-or-later OR BSD-2-Clause) AND GPL-2.0-or-later" {
		t.Errorf("less's licence %q", less.PackageLicenseDeclared)
	}
	if z := doc.Packages[3]; z.PackageLicenseDeclared != "NOASSERTION" || !strings.Contains(z.PackageLicenseComments, "Odd-One") || !strings.Contains(z.PackageSourceInfo, "libzstd 1.5.4+dfsg2-5") {
		t.Errorf("libzstd1: %q %q %q", z.PackageLicenseDeclared, z.PackageLicenseComments, z.PackageSourceInfo)
	}
	for _, want := range []string{`"relationshipType": "DESCRIBES"`, `"relatedSpdxElement": "SPDXRef-deb-libc6-amd64"`} {
		if !bytes.Contains(data, []byte(want)) && !bytes.Contains(data, []byte(strings.ReplaceAll(want, ": ", ":"))) {
			t.Errorf("the document lacks %s", want)
		}
	}
}

// The step's view: a single-file export is the image the document
// describes (its file name and checksum), the packages come from the
// first tree with a dpkg database, a locked .deb gives its package its
// checksum and URL, and any other source is a package of its own.
func TestDescribe(t *testing.T) {
	img := t.TempDir()
	if err := os.WriteFile(filepath.Join(img, "disk.qcow2"), []byte("qcow2"), 0o644); err != nil {
		t.Fatal(err)
	}
	root := tree(t)
	spec := Spec{Name: "image", Trees: []string{"image", "os"}, Created: 1700000000, Sources: []Source{
		{Checksum: "sha256:" + strings.Repeat("a", 64), URL: "http://deb.example/pool/less_590-2.1~deb12u2_amd64.deb", Package: "less 590-2.1~deb12u2 (amd64)"},
		{Checksum: "sha256:" + strings.Repeat("b", 64), URL: "https://example.com/motd.txt"},
		{Checksum: "sha256:" + strings.Repeat("c", 64)},
	}}
	in, file, err := Describe(spec, []string{img, root}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if file != "disk.qcow2.spdx.json" || in.File != "disk.qcow2" || len(in.FileSHA256) != 64 || len(in.Packages) != 3 {
		t.Fatalf("file %q, image %q %q, %d packages", file, in.File, in.FileSHA256, len(in.Packages))
	}
	doc := Document(in)
	if root := doc.Packages[0]; root.PackageFileName != "disk.qcow2" || root.PackageChecksums[0].Value != in.FileSHA256 || root.PackageVersion != "sha256:"+in.FileSHA256[:16] {
		t.Errorf("the image: %+v", root)
	}
	byName := map[string]int{}
	for i, p := range doc.Packages {
		byName[p.PackageName] = i
	}
	less := doc.Packages[byName["less"]]
	if less.PackageDownloadLocation != spec.Sources[0].URL || len(less.PackageChecksums) != 1 || less.PackageChecksums[0].Value != strings.Repeat("a", 64) {
		t.Errorf("the locked less: %q %+v", less.PackageDownloadLocation, less.PackageChecksums)
	}
	if libc := doc.Packages[byName["libc6"]]; libc.PackageDownloadLocation != "NOASSERTION" || libc.PackageChecksums != nil {
		t.Errorf("libc6 was not locked, yet has %q %+v", libc.PackageDownloadLocation, libc.PackageChecksums)
	}
	motd, ok := byName["motd.txt"]
	if !ok || doc.Packages[motd].PackageDownloadLocation != "https://example.com/motd.txt" || doc.Packages[motd].PackageChecksums[0].Value != strings.Repeat("b", 64) {
		t.Errorf("the curl source: %+v", doc.Packages)
	}
	if i, ok := byName["inline data"]; !ok || doc.Packages[i].PackageDownloadLocation != "NONE" {
		t.Errorf("the inline source: %+v", doc.Packages)
	}
	if len(doc.Packages) != 1+3+2 || len(doc.Relationships) != 1+3+2 {
		t.Errorf("%d packages, %d relationships", len(doc.Packages), len(doc.Relationships))
	}
	// A tree with no dpkg database anywhere: its sources only, named as a
	// tree's document.
	in, file, err = Describe(Spec{Name: "files", Trees: []string{"files"}, Sources: spec.Sources[1:]}, []string{t.TempDir()}, time.Unix(5, 0))
	if err != nil || file != TreeFile || in.Packages != nil || in.Created.Unix() != 5 {
		t.Errorf("a plain file tree: %q %+v %v", file, in, err)
	}
	var b bytes.Buffer
	if err := spdxjson.Write(Document(in), &b); err != nil {
		t.Fatal(err)
	}
	if _, err := spdxjson.Read(&b); err != nil {
		t.Errorf("the document of a tree without packages does not read back: %v", err)
	}
}

// Every SPDX identifier the Debian names map to is a valid, current SPDX
// licence, by GitHub's SPDX expression library (not ours); so is an
// expression built of them.
func TestLicenceMapIsValidSPDX(t *testing.T) {
	var ids []string
	for deb, id := range debianToSPDX {
		if ok, _ := spdxexp.ActiveLicense(id); !ok {
			t.Errorf("%s maps to %s, which is not an active SPDX licence", deb, id)
		}
		ids = append(ids, id)
	}
	if ok, bad := spdxexp.ValidateLicenses(ids); !ok {
		t.Errorf("invalid: %v", bad)
	}
	expr, ok := spdxLicenses([]string{"GPL-3+ or BSD-2-clause", "GPL-2+", "Expat"})
	if valid, bad := spdxexp.ValidateLicenses([]string{expr}); !ok || !valid {
		t.Errorf("%q: %v", expr, bad)
	}
}
