// Package sbom describes what an OS tree holds: the Debian packages of its
// dpkg database, as an SPDX 2.3 document (issue 14, first part).
package sbom

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// Package is one installed Debian binary package.
type Package struct {
	Name, Version, Architecture string
	// Source and SourceVersion name the source package (the binary's own
	// name and version when dpkg records none).
	Source, SourceVersion string
	Maintainer            string
	Homepage              string
	// Licenses are the licence names of the package's machine-readable
	// copyright file, in the order they first appear; none when it has
	// none.
	Licenses []string
}

// Installed reads the installed packages of the dpkg database under root
// (var/lib/dpkg/status), sorted by name and architecture; none when the
// tree has no database.
func Installed(root string) ([]Package, error) {
	data, err := os.ReadFile(filepath.Join(root, "var/lib/dpkg/status"))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var pkgs []Package
	for _, stanza := range bytes.Split(data, []byte("\n\n")) {
		f := fields(stanza)
		if f["Package"] == "" || !strings.HasSuffix(f["Status"], " installed") {
			continue
		}
		p := Package{Name: f["Package"], Version: f["Version"], Architecture: f["Architecture"],
			Maintainer: f["Maintainer"], Homepage: f["Homepage"], Source: f["Package"], SourceVersion: f["Version"]}
		// "Source: name (version)" when the versions differ.
		if src := f["Source"]; src != "" {
			name, ver, ok := strings.Cut(src, " (")
			p.Source = name
			if ok {
				p.SourceVersion = strings.TrimSuffix(ver, ")")
			}
		}
		if p.Licenses, err = copyrightLicenses(root, p.Name); err != nil {
			return nil, fmt.Errorf("%s: %w", p.Name, err)
		}
		pkgs = append(pkgs, p)
	}
	sort.Slice(pkgs, func(i, j int) bool {
		if pkgs[i].Name != pkgs[j].Name {
			return pkgs[i].Name < pkgs[j].Name
		}
		return pkgs[i].Architecture < pkgs[j].Architecture
	})
	return pkgs, nil
}

// fields are a control stanza's fields, continuation lines dropped.
func fields(stanza []byte) map[string]string {
	f := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(stanza))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == ' ' || line[0] == '\t' {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			f[k] = strings.TrimSpace(v)
		}
	}
	return f
}

// copyrightLicenses are the License: names of the package's copyright
// file when it is machine-readable (DEP-5: its first stanza has Format:);
// none otherwise, or when there is no file (minbase trees drop docs).
func copyrightLicenses(root, pkg string) ([]string, error) {
	data, err := os.ReadFile(filepath.Join(root, "usr/share/doc", pkg, "copyright"))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	stanzas := bytes.Split(data, []byte("\n\n"))
	if fields(stanzas[0])["Format"] == "" {
		return nil, nil
	}
	var names []string
	for _, s := range stanzas[1:] {
		name := fields(s)["License"]
		// Only stanzas that apply it to files; a standalone License stanza
		// just gives the text of one named in a Files stanza.
		if name == "" || fields(s)["Files"] == "" || slices.Contains(names, name) {
			continue
		}
		names = append(names, name)
	}
	return names, nil
}
