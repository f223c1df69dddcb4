//go:build integration

package integration

import (
	"encoding/json"
	"github.com/github/go-spdx/v2/spdxexp"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// spdxDoc is what the tests read of an SPDX 2.3 JSON document.
type spdxDoc struct {
	SPDXVersion  string `json:"spdxVersion"`
	SPDXID       string `json:"SPDXID"`
	Name         string `json:"name"`
	DataLicense  string `json:"dataLicense"`
	Namespace    string `json:"documentNamespace"`
	CreationInfo struct {
		Creators []string `json:"creators"`
		Created  string   `json:"created"`
	} `json:"creationInfo"`
	Packages []struct {
		SPDXID           string `json:"SPDXID"`
		Name             string `json:"name"`
		Version          string `json:"versionInfo"`
		Supplier         string `json:"supplier"`
		DownloadLocation string `json:"downloadLocation"`
		FileName         string `json:"packageFileName"`
		LicenseDeclared  string `json:"licenseDeclared"`
		FilesAnalyzed    *bool  `json:"filesAnalyzed"`
		VerificationCode any    `json:"packageVerificationCode"`
		Checksums        []struct {
			Algorithm string `json:"algorithm"`
			Value     string `json:"checksumValue"`
		} `json:"checksums"`
		ExternalRefs []struct {
			Type    string `json:"referenceType"`
			Locator string `json:"referenceLocator"`
		} `json:"externalRefs"`
	} `json:"packages"`
	Relationships []struct {
		A    string `json:"spdxElementId"`
		B    string `json:"relatedSpdxElement"`
		Type string `json:"relationshipType"`
	} `json:"relationships"`
}

// attested is an SPDX document as BuildKit writes an attestation: an
// in-toto statement whose predicate is the document.
type attested struct {
	Type          string  `json:"_type"`
	PredicateType string  `json:"predicateType"`
	Predicate     spdxDoc `json:"predicate"`
	Subject       []struct {
		Name   string            `json:"name"`
		Digest map[string]string `json:"digest"`
	} `json:"subject"`
}

// readSPDX reads the SPDX document at path; an in-toto statement (what
// buildctl and buildx write beside a local export) is unwrapped, and its
// subjects are returned as name → sha256.
func readSPDX(t *testing.T, path string) (spdxDoc, map[string]string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var st attested
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if st.Type != "" {
		if st.PredicateType != "https://spdx.dev/Document" {
			t.Fatalf("%s: an attestation of %s, not an SPDX document", path, st.PredicateType)
		}
		subjects := map[string]string{}
		for _, s := range st.Subject {
			subjects[s.Name] = s.Digest["sha256"]
		}
		return st.Predicate, subjects
	}
	var doc spdxDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return doc, nil
}

// debs are a document's Debian packages (those with a pkg:deb purl) as
// "name version arch" lines, sorted.
func (d spdxDoc) debs() []string {
	var out []string
	for _, p := range d.Packages {
		for _, r := range p.ExternalRefs {
			if r.Type == "purl" && strings.HasPrefix(r.Locator, "pkg:deb/") {
				arch := ""
				if _, q, ok := strings.Cut(r.Locator, "arch="); ok {
					arch, _, _ = strings.Cut(q, "&")
				}
				out = append(out, p.Name+" "+p.Version+" "+arch)
			}
		}
	}
	slices.Sort(out)
	return out
}

// checkNTIA checks the document is SPDX (checkSPDX), then the NTIA minimum
// elements of an SBOM (NTIA, "The Minimum Elements For a Software Bill of
// Materials", 2021, as the ntia-conformance-checker reads them from SPDX):
// the author and the
// timestamp of the document; for every component its supplier, name,
// version and unique identifier; and the dependency relationships (the
// document DESCRIBES the image, which CONTAINS every other component).
// The Python checker is not installable on our machines (PyPI is not
// reachable); this is its list, checked field by field.
func checkNTIA(t *testing.T, what string, d spdxDoc) {
	t.Helper()
	checkSPDX(t, what, d)
	if d.SPDXVersion != "SPDX-2.3" || d.SPDXID != "SPDXRef-DOCUMENT" {
		t.Errorf("%s: %s %s", what, d.SPDXVersion, d.SPDXID)
	}
	if len(d.CreationInfo.Creators) == 0 || d.CreationInfo.Creators[0] != "Tool: osbuildkit" {
		t.Errorf("%s: no author (creators %v)", what, d.CreationInfo.Creators)
	}
	if _, err := time.Parse(time.RFC3339, d.CreationInfo.Created); err != nil {
		t.Errorf("%s: timestamp %q: %v", what, d.CreationInfo.Created, err)
	}
	ids := map[string]bool{}
	licensed := 0
	for _, p := range d.Packages {
		if p.Name == "" || p.Version == "" || p.Supplier == "" || p.SPDXID == "" || ids[p.SPDXID] {
			t.Errorf("%s: component %+v lacks a minimum element (or its identifier is not unique)", what, p)
		}
		ids[p.SPDXID] = true
		// Declared licences are valid SPDX expressions, by GitHub's SPDX
		// library (not the one that wrote them).
		if l := p.LicenseDeclared; l != "" && l != "NOASSERTION" {
			licensed++
			if ok, bad := spdxexp.ValidateLicenses([]string{l}); !ok {
				t.Errorf("%s: %s's licence %q is not valid SPDX: %v", what, p.Name, l, bad)
			}
		}
	}
	if len(d.Packages) > 20 && licensed == 0 {
		t.Errorf("%s: no package of %d has a declared licence", what, len(d.Packages))
	}
	var root string
	contained := map[string]bool{}
	for _, r := range d.Relationships {
		switch {
		case r.A == "SPDXRef-DOCUMENT" && r.Type == "DESCRIBES":
			root = r.B
		case r.Type == "CONTAINS":
			contained[r.B] = true
		}
	}
	if root == "" || !ids[root] {
		t.Fatalf("%s: the document DESCRIBES no component of it (%q)", what, root)
	}
	for id := range ids {
		if id != root && !contained[id] {
			t.Errorf("%s: %s is related to nothing", what, id)
		}
	}
}

// spdxID is an SPDX element identifier (SPDX 2.3, 3.2 and 7.2).
var spdxID = regexp.MustCompile(`^SPDXRef-[A-Za-z0-9.-]+$`)

// checkSPDX checks what SPDX 2.3 requires of a document, as the spdx-tools
// validator does, on the JSON as written (not through the library that
// wrote it): the version, data licence, a namespace URI without '#',
// well-formed unique identifiers, each package's download location and,
// with filesAnalyzed false, no verification code; checksums of algorithms
// SPDX names with hex values of their length; relationships between
// elements the document has.
func checkSPDX(t *testing.T, what string, d spdxDoc) {
	t.Helper()
	if d.DataLicense != "CC0-1.0" || d.Name == "" {
		t.Errorf("%s: dataLicense %q, name %q", what, d.DataLicense, d.Name)
	}
	if u, err := url.Parse(d.Namespace); err != nil || u.Scheme == "" || u.Host == "" || strings.Contains(d.Namespace, "#") {
		t.Errorf("%s: documentNamespace %q is not an absolute URI without '#'", what, d.Namespace)
	}
	hexLen := map[string]int{"SHA1": 40, "SHA256": 64, "SHA384": 96, "SHA512": 128, "MD5": 32}
	ids := map[string]bool{"SPDXRef-DOCUMENT": true}
	for _, p := range d.Packages {
		if !spdxID.MatchString(p.SPDXID) {
			t.Errorf("%s: identifier %q", what, p.SPDXID)
		}
		ids[p.SPDXID] = true
		if p.DownloadLocation == "" || p.FilesAnalyzed == nil || *p.FilesAnalyzed || p.VerificationCode != nil {
			t.Errorf("%s: %s: downloadLocation %q, filesAnalyzed %v, verification code %v", what, p.Name, p.DownloadLocation, p.FilesAnalyzed, p.VerificationCode)
		}
		for _, c := range p.Checksums {
			if n, ok := hexLen[c.Algorithm]; !ok || len(c.Value) != n || strings.Trim(c.Value, "0123456789abcdef") != "" {
				t.Errorf("%s: %s: checksum %s %q", what, p.Name, c.Algorithm, c.Value)
			}
		}
	}
	for _, r := range d.Relationships {
		if !ids[r.A] || !ids[r.B] || r.Type == "" {
			t.Errorf("%s: relationship %s %s %s names an element the document lacks", what, r.A, r.Type, r.B)
		}
	}
}

// syftDebs reads an SPDX document with syft, the scanner: its Debian
// packages as debs() lists them. syft failing to read it fails the test.
func syftDebs(t *testing.T, path string) []string {
	t.Helper()
	out, err := exec.Command("syft", "convert", path, "-o", "syft-json", "-q").Output()
	if err != nil {
		t.Fatalf("syft cannot read %s: %v", path, stderrOf(err))
	}
	return syftArtifacts(t, out)
}

// syftScanDebs is the Debian packages syft's own dpkg cataloguer finds in
// a tree.
func syftScanDebs(t *testing.T, tree string) []string {
	t.Helper()
	out, err := exec.Command("syft", "scan", "dir:"+tree, "--select-catalogers", "dpkg", "-o", "syft-json", "-q").Output()
	if err != nil {
		t.Fatalf("syft scan %s: %v", tree, stderrOf(err))
	}
	return syftArtifacts(t, out)
}

func syftArtifacts(t *testing.T, data []byte) []string {
	t.Helper()
	var d struct {
		Artifacts []struct {
			Name, Version, Type string
			Metadata            struct {
				Architecture string `json:"architecture"`
			} `json:"metadata"`
			PURL string `json:"purl"`
		} `json:"artifacts"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range d.Artifacts {
		if a.Type != "deb" {
			continue
		}
		arch := a.Metadata.Architecture
		if _, q, ok := strings.Cut(a.PURL, "arch="); ok && arch == "" {
			arch, _, _ = strings.Cut(q, "&")
		}
		out = append(out, a.Name+" "+a.Version+" "+arch)
	}
	slices.Sort(out)
	return out
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return err.Error() + ": " + string(ee.Stderr)
	}
	return err.Error()
}

// dpkgQuery is what the host's dpkg-query lists installed in a tree.
func dpkgQuery(t *testing.T, tree string) []string {
	t.Helper()
	out, err := exec.Command("dpkg-query", "--admindir="+filepath.Join(tree, "var/lib/dpkg"), "-W",
		"-f", "${db:Status-Status} ${Package} ${Version} ${Architecture}\n").Output()
	if err != nil {
		t.Fatalf("dpkg-query: %v", stderrOf(err))
	}
	var pkgs []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if rest, ok := strings.CutPrefix(line, "installed "); ok {
			pkgs = append(pkgs, rest)
		}
	}
	slices.Sort(pkgs)
	return pkgs
}

// sameList reports the difference of two sorted lists.
func sameList(t *testing.T, what string, got, want []string) {
	t.Helper()
	if slices.Equal(got, want) {
		return
	}
	var missing, extra []string
	for _, w := range want {
		if !slices.Contains(got, w) {
			missing = append(missing, w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			extra = append(extra, g)
		}
	}
	t.Errorf("%s: %d packages, want %d; missing %v; extra %v", what, len(got), len(want), missing, extra)
}
