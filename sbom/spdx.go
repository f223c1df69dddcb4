package sbom

import (
	"crypto/sha256"
	"fmt"
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

// Document is the SPDX 2.3 document of pkgs, installed in the tree or
// image called name: the document DESCRIBES it, and it CONTAINS each
// package. distro is the purls' distro qualifier (debian-12); created is
// the creation time (a source epoch gives the same bytes on every
// builder). The namespace is derived from the content.
func Document(name string, pkgs []Package, distro string, created time.Time) *v2_3.Document {
	doc := &v2_3.Document{
		SPDXVersion:    v2_3.Version,
		DataLicense:    v2_3.DataLicense,
		SPDXIdentifier: "DOCUMENT",
		DocumentName:   name,
		CreationInfo: &v2_3.CreationInfo{
			Creators: []common.Creator{{CreatorType: "Tool", Creator: "osbuildkit"}},
			Created:  created.UTC().Format(time.RFC3339),
		},
		Packages: []*v2_3.Package{{
			PackageName: name, PackageSPDXIdentifier: rootID, PackageDownloadLocation: noAssertion,
			PrimaryPackagePurpose: "OPERATING-SYSTEM",
		}},
		Relationships: []*v2_3.Relationship{relationship("DOCUMENT", rootID, "DESCRIBES")},
	}
	content := sha256.New()
	for _, p := range pkgs {
		sp := spdxPackage(p, distro)
		doc.Packages = append(doc.Packages, sp)
		doc.Relationships = append(doc.Relationships, relationship(rootID, sp.PackageSPDXIdentifier, "CONTAINS"))
		fmt.Fprintf(content, "%s %s %s\n", p.Name, p.Version, p.Architecture)
	}
	doc.DocumentNamespace = fmt.Sprintf("https://spdx.org/spdxdocs/osbuildkit/%s-%x", idPart(name), content.Sum(nil)[:16])
	return doc
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
