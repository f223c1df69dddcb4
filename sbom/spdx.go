package sbom

import (
	"crypto/sha256"
	"fmt"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/package-url/packageurl-go"
	"github.com/spdx/tools-golang/spdx/v2/common"
	"github.com/spdx/tools-golang/spdx/v2/v2_3"
)

const noAssertion = "NOASSERTION"

// rootID is the SPDX identifier of what the document describes.
const rootID = common.ElementID("image")

// Doc is an SPDX 2.3 document.
type Doc = v2_3.Document

// Input is what a document describes.
type Input struct {
	// Name is the tree's or image's name (the exported pipeline).
	Name string
	// File and FileSHA256 are the image file the export is (disk.qcow2),
	// empty for a tree.
	File, FileSHA256 string
	// Packages are the installed Debian packages; Distro is the purls'
	// distro qualifier (debian-12).
	Packages []Package
	Distro   string
	// Sources are the files taken from the manifest's sources: a locked
	// .deb gives its package its checksum and download location, any
	// other file is listed as a package of its own.
	Sources []Source
	// Created is the creation time (a source epoch gives the same bytes
	// on every builder).
	Created time.Time
}

// Document is the SPDX 2.3 document of in: the document DESCRIBES the
// tree or image, which CONTAINS each package and source file. The
// namespace and the image's version are derived from the content.
func Document(in Input) *Doc {
	content := sha256.New()
	for _, p := range in.Packages {
		fmt.Fprintf(content, "%s %s %s\n", p.Name, p.Version, p.Architecture)
	}
	for _, s := range in.Sources {
		fmt.Fprintf(content, "%s %s\n", s.Checksum, s.URL)
	}
	fmt.Fprintf(content, "%s %s\n", in.File, in.FileSHA256)
	sum := fmt.Sprintf("%x", content.Sum(nil)[:16])
	root := &v2_3.Package{
		PackageName: in.Name, PackageSPDXIdentifier: rootID, PackageDownloadLocation: noAssertion,
		PackageVersion: sum, PackageSupplier: &common.Supplier{Supplier: noAssertion},
		PrimaryPackagePurpose: "OPERATING-SYSTEM",
	}
	if in.Packages == nil {
		root.PrimaryPackagePurpose = "OTHER" // files, no operating system
	}
	if in.File != "" {
		root.PackageFileName = in.File
		root.PackageVersion = "sha256:" + shortHex(in.FileSHA256)
		root.PackageChecksums = []common.Checksum{{Algorithm: common.SHA256, Value: in.FileSHA256}}
	}
	doc := &v2_3.Document{
		SPDXVersion:    v2_3.Version,
		DataLicense:    v2_3.DataLicense,
		SPDXIdentifier: "DOCUMENT",
		DocumentName:   in.Name,
		CreationInfo: &v2_3.CreationInfo{
			Creators: []common.Creator{{CreatorType: "Tool", Creator: "osbuildkit"}},
			Created:  in.Created.UTC().Format(time.RFC3339),
		},
		Packages:      []*v2_3.Package{root},
		Relationships: []*v2_3.Relationship{relationship("DOCUMENT", rootID, "DESCRIBES")},
	}
	debs := map[string]Source{}
	for _, s := range in.Sources {
		if s.Package != "" {
			debs[s.Package] = s
		}
	}
	for _, p := range in.Packages {
		sp := spdxPackage(p, in.Distro)
		if s, ok := debs[fmt.Sprintf("%s %s (%s)", p.Name, p.Version, p.Architecture)]; ok {
			sp.PackageDownloadLocation = s.URL
			sp.PackageChecksums = checksums(s.Checksum)
		}
		doc.Packages = append(doc.Packages, sp)
		doc.Relationships = append(doc.Relationships, relationship(rootID, sp.PackageSPDXIdentifier, "CONTAINS"))
	}
	for _, s := range in.Sources {
		if s.Package != "" {
			continue
		}
		sp := sourcePackage(s)
		doc.Packages = append(doc.Packages, sp)
		doc.Relationships = append(doc.Relationships, relationship(rootID, sp.PackageSPDXIdentifier, "CONTAINS"))
	}
	doc.DocumentNamespace = fmt.Sprintf("https://spdx.org/spdxdocs/osbuildkit/%s-%s", idPart(in.Name), sum)
	return doc
}

// sourcePackage is a curl or inline source file as an SPDX package: its
// checksum is its version, its URL where it was downloaded.
func sourcePackage(s Source) *v2_3.Package {
	_, hex, _ := strings.Cut(s.Checksum, ":")
	name, where := "inline data", "NONE"
	if s.URL != "" {
		name, where = path.Base(s.URL), s.URL
	}
	return &v2_3.Package{
		PackageName:             name,
		PackageSPDXIdentifier:   common.ElementID("source-" + idPart(s.Checksum)),
		PackageVersion:          s.Checksum,
		PackageSupplier:         &common.Supplier{Supplier: noAssertion},
		PackageDownloadLocation: where,
		PackageChecksums:        checksums(s.Checksum),
		PackageLicenseConcluded: noAssertion,
		PackageLicenseDeclared:  noAssertion,
		PackageCopyrightText:    noAssertion,
		PrimaryPackagePurpose:   "FILE",
		PackageComment:          "taken from the manifest's sources by checksum " + shortHex(hex),
	}
}

func shortHex(h string) string {
	if len(h) > 16 {
		return h[:16]
	}
	return h
}

// checksums is an osbuild checksum ("sha256:…") as SPDX checksums; none
// for an algorithm SPDX does not name.
func checksums(sum string) []common.Checksum {
	alg, hex, ok := strings.Cut(sum, ":")
	if !ok {
		return nil
	}
	switch a := common.ChecksumAlgorithm(strings.ToUpper(alg)); a {
	case common.SHA1, common.SHA256, common.SHA384, common.SHA512, common.MD5:
		return []common.Checksum{{Algorithm: a, Value: hex}}
	}
	return nil
}

func relationship(a, b common.ElementID, kind string) *v2_3.Relationship {
	return &v2_3.Relationship{RefA: common.MakeDocElementID("", string(a)), RefB: common.MakeDocElementID("", string(b)), Relationship: kind}
}

// spdxPackage is p as an SPDX package.
func spdxPackage(p Package, distro string) *v2_3.Package {
	qualifiers := packageurl.QualifiersFromMap(map[string]string{"arch": p.Architecture, "distro": distro})
	purl := packageurl.NewPackageURL("deb", "debian", p.Name, p.Version, qualifiers, "")
	sp := &v2_3.Package{
		PackageName:             p.Name,
		PackageSPDXIdentifier:   common.ElementID("deb-" + idPart(p.Name+"-"+p.Architecture)),
		PackageVersion:          p.Version,
		PackageSupplier:         supplier(p.Maintainer),
		PackageDownloadLocation: noAssertion,
		PackageHomePage:         p.Homepage,
		PackageSourceInfo:       fmt.Sprintf("built from the Debian source package %s %s", p.Source, p.SourceVersion),
		PackageLicenseConcluded: noAssertion,
		PackageLicenseDeclared:  noAssertion,
		PackageCopyrightText:    noAssertion,
		PackageExternalReferences: []*v2_3.PackageExternalReference{
			{Category: "PACKAGE-MANAGER", RefType: "purl", Locator: purl.ToString()},
		},
	}
	if expr, ok := spdxLicenses(p.Licenses); ok {
		sp.PackageLicenseDeclared = expr
	} else if len(p.Licenses) > 0 {
		sp.PackageLicenseComments = "Debian's copyright file names: " + strings.Join(p.Licenses, ", ")
	}
	return sp
}

// supplier is a Debian Maintainer ("Name <address>") as an SPDX supplier.
func supplier(maintainer string) *common.Supplier {
	if maintainer == "" {
		return &common.Supplier{Supplier: noAssertion}
	}
	name, addr, ok := strings.Cut(maintainer, "<")
	if !ok {
		return &common.Supplier{Supplier: strings.TrimSpace(maintainer), SupplierType: "Person"}
	}
	return &common.Supplier{Supplier: fmt.Sprintf("%s (%s)", strings.TrimSpace(name), strings.TrimSuffix(strings.TrimSpace(addr), ">")), SupplierType: "Person"}
}

var notIDChar = regexp.MustCompile(`[^A-Za-z0-9.-]`)

// idPart is s with what an SPDX identifier cannot hold replaced by '-'.
func idPart(s string) string { return notIDChar.ReplaceAllString(s, "-") }
