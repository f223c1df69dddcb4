package stages

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// LockedPackage is one .deb a package stage installs, as `osbuildkit
// lock` pins it: where it comes from, its checksum, and the archive's
// Priority (the archive overrides the .deb's own, and mmdebstrap's
// variants select by it).
type LockedPackage struct {
	Package      string `json:"package"`
	Version      string `json:"version"`
	Architecture string `json:"architecture"`
	URL          string `json:"url"`
	SHA256       string `json:"sha256"`
	Size         int64  `json:"size"`
	Priority     string `json:"priority,omitempty"`
}

// The metadata a lock records for each package in the "packages" input's
// references (osbuild's files input forwards "metadata", whose keys must
// have a prefix).
const (
	MetaPackage  = "deb.package"
	MetaVersion  = "deb.version"
	MetaArch     = "deb.arch"
	MetaPriority = "deb.priority"
)

// Metadata is the reference metadata that records p.
func (p LockedPackage) Metadata() map[string]string {
	m := map[string]string{MetaPackage: p.Package, MetaVersion: p.Version, MetaArch: p.Architecture}
	if p.Priority != "" {
		m[MetaPriority] = p.Priority
	}
	return m
}

// writeLock writes the resolved packages where the lock step reads them.
func writeLock(dir string, pkgs []LockedPackage) error {
	if pkgs == nil {
		pkgs = []LockedPackage{}
	}
	b, err := json.MarshalIndent(pkgs, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, LockFile), b, 0o644)
}

// parsePrintURIs reads apt-get's --print-uris lines:
// 'URL' NAME_VERSION_ARCH.deb SIZE HASH (install's HASH is the index's
// first, often MD5Sum, or none: addArchiveFields sets the SHA256). A
// quoted line of another shape is an error, never skipped: a package
// left out of a lock would be installed from nowhere.
func parsePrintURIs(out []byte) ([]LockedPackage, error) {
	var pkgs []LockedPackage
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || !strings.HasPrefix(f[0], "'") {
			continue
		}
		// The hash is missing where the index has none apt prints (an
		// upgrade from Debian's security archive): addArchiveFields sets it.
		if len(f) == 3 {
			f = append(f, "")
		}
		if len(f) != 4 {
			return nil, fmt.Errorf("apt's download list: %q: not 'URL' FILE SIZE [HASH]", sc.Text())
		}
		p, err := parseURILine(f)
		if err != nil {
			return nil, fmt.Errorf("apt's download list: %q: %w", sc.Text(), err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}

func parseURILine(f []string) (LockedPackage, error) {
	var p LockedPackage
	p.URL = strings.Trim(f[0], "'")
	name, err := url.PathUnescape(strings.TrimSuffix(f[1], ".deb"))
	if err != nil {
		return p, err
	}
	parts := strings.Split(name, "_")
	if len(parts) != 3 || !strings.HasSuffix(f[1], ".deb") {
		return p, fmt.Errorf("not a package file name")
	}
	p.Package, p.Version, p.Architecture = parts[0], parts[1], parts[2]
	if p.Size, err = strconv.ParseInt(f[2], 10, 64); err != nil {
		return p, err
	}
	p.SHA256, _ = strings.CutPrefix(f[3], "SHA256:")
	return p, nil
}

// addArchiveFields fills in each package's SHA256 and Priority from
// apt-cache show (run as show), which prints the archive's stanzas.
func addArchiveFields(pkgs []LockedPackage, show func(args ...string) ([]byte, error)) error {
	if len(pkgs) == 0 {
		return nil
	}
	args := []string{"show", "--no-all-versions"}
	for _, p := range pkgs {
		args = append(args, p.Package+":"+p.Architecture+"="+p.Version)
	}
	out, err := show(args...)
	if err != nil {
		return err
	}
	stanzas := map[string]map[string]string{}
	for _, stanza := range strings.Split(string(out), "\n\n") {
		f := controlFields(stanza)
		stanzas[f["Package"]+"_"+f["Version"]+"_"+f["Architecture"]] = f
	}
	for i, p := range pkgs {
		f := stanzas[p.Package+"_"+p.Version+"_"+p.Architecture]
		if len(f["SHA256"]) != 64 {
			return fmt.Errorf("the archive's index has no SHA256 checksum of %s %s (%s)", p.Package, p.Version, p.Architecture)
		}
		pkgs[i].SHA256, pkgs[i].Priority = f["SHA256"], f["Priority"]
	}
	return nil
}

// controlFields reads the single-line fields of a control stanza.
func controlFields(stanza string) map[string]string {
	f := map[string]string{}
	for _, line := range strings.Split(stanza, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, " ") {
			f[k] = strings.TrimSpace(v)
		}
	}
	return f
}

// CompareLocks says what differs between two locks of one stage, package
// by package: a new version, a package that came or went, a version
// whose file changed.
func CompareLocks(before, after []LockedPackage) []string {
	key := func(p LockedPackage) string { return p.Package + ":" + p.Architecture }
	old := map[string]LockedPackage{}
	for _, p := range before {
		old[key(p)] = p
	}
	var changes []string
	seen := map[string]bool{}
	for _, p := range after {
		k := key(p)
		seen[k] = true
		o, ok := old[k]
		switch {
		case !ok:
			changes = append(changes, fmt.Sprintf("%s %s: not locked (new)", k, p.Version))
		case o.Version != p.Version:
			changes = append(changes, fmt.Sprintf("%s: locked %s, the mirror has %s", k, o.Version, p.Version))
		case o.SHA256 != p.SHA256:
			changes = append(changes, fmt.Sprintf("%s %s: the mirror's file has another checksum (sha256:%s)", k, p.Version, p.SHA256))
		}
	}
	for _, p := range before {
		if k := key(p); !seen[k] {
			changes = append(changes, fmt.Sprintf("%s %s: locked, no longer installed", k, p.Version))
		}
	}
	sort.Strings(changes)
	return changes
}
