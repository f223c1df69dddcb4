//go:build integration

package integration

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// lockedRef is a packages input reference as osbuildkit lock writes it.
type lockedRef struct {
	ID      string `json:"id"`
	Options struct {
		Metadata map[string]string `json:"metadata"`
	} `json:"options"`
}

// lockedManifest is what a test reads back from a locked manifest.
type lockedManifest struct {
	Pipelines []struct {
		Stages []struct {
			Type   string `json:"type"`
			Inputs struct {
				Packages *struct {
					Type       string      `json:"type"`
					Origin     string      `json:"origin"`
					References []lockedRef `json:"references"`
				} `json:"packages"`
			} `json:"inputs"`
		} `json:"stages"`
	} `json:"pipelines"`
	Sources struct {
		Curl struct {
			Items map[string]struct {
				URL string `json:"url"`
			} `json:"items"`
		} `json:"org.osbuild.curl"`
	} `json:"sources"`
}

func readLock(t *testing.T, path string) lockedManifest {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m lockedManifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// lockedVersions are "package:arch version" of every locked package (a
// later stage's version of a package replaces an earlier one's: an
// upgrade), and checks that each is a curl source of the manifest.
func lockedVersions(t *testing.T, m lockedManifest) []string {
	t.Helper()
	versions := map[string]string{}
	for _, st := range m.Pipelines[0].Stages {
		in := st.Inputs.Packages
		if in == nil || in.Type != "org.osbuild.files" || in.Origin != "org.osbuild.source" || len(in.References) == 0 {
			t.Fatalf("%s has no packages input of curl sources: %+v", st.Type, in)
		}
		for _, r := range in.References {
			item, ok := m.Sources.Curl.Items[r.ID]
			if !ok || !strings.HasSuffix(item.URL, ".deb") {
				t.Errorf("%s: reference %s is no .deb source (%q)", st.Type, r.ID, item.URL)
			}
			md := r.Options.Metadata
			versions[md["deb.package"]+":"+md["deb.arch"]] = md["deb.version"]
		}
	}
	var pkgs []string
	for p, v := range versions {
		pkgs = append(pkgs, p+" "+v)
	}
	sort.Strings(pkgs)
	return pkgs
}

// installedVersions are "package:arch version" of what dpkg has in tree.
func installedVersions(t *testing.T, tree string) []string {
	t.Helper()
	out, err := exec.Command("dpkg-query", "--admindir="+filepath.Join(tree, "var/lib/dpkg"), "-W", "-f=${Package}:${Architecture} ${Version}\n").Output()
	if err != nil {
		t.Fatalf("dpkg-query: %v", err)
	}
	pkgs := strings.Split(strings.TrimSpace(string(out)), "\n")
	sort.Strings(pkgs)
	return pkgs
}

// A small Debian manifest is locked, built from its lock (exactly the
// locked packages), built again on a fresh builder (the same tarball,
// byte for byte) and on a fresh builder that cannot reach the Debian
// mirror, from the registry cache; lock --check says when the lock is
// behind the mirror, and a locked file the mirror dropped fails the build
// naming the package and what to do. Its apt stage names a package of
// another architecture (libc6:i386), locked and installed as i386.
func TestLockedBuildWithoutTheMirror(t *testing.T) {
	manifest := manifestFile(t, "integration/testdata/lock-small.json", func(s string) string {
		return strings.Replace(s, `["less", "netbase"]`, `["less", "netbase", "libc6:i386"]`, 1)
	})
	locked := filepath.Join(t.TempDir(), "locked.json")
	out := run(t, 0, cli, "lock", "--progress", "plain", "-o", locked, manifest)
	for _, want := range []string{"[tree] org.osbuild.debootstrap (lock)", "[tree] org.osbuild.apt (lock)", "packages locked"} {
		if !strings.Contains(out, want) {
			t.Errorf("lock's output lacks %q:\n%s", want, tail(out, 20))
		}
	}
	lock := readLock(t, locked)
	want := lockedVersions(t, lock)
	if !slices.ContainsFunc(want, func(p string) bool { return strings.HasPrefix(p, "libc6:i386 ") }) {
		t.Errorf("the lock has no libc6:i386: %v", want)
	}
	run(t, 0, cli, "validate", locked)

	// Built from the lock: what is installed is what was locked. Built
	// again on a fresh, empty builder (every step runs there): with the
	// pipelines' source-epoch, the two tarballs are the same bytes.
	cache := fmt.Sprintf("%s/osbuildkit-test/lock-cache:%d", registry, time.Now().UnixNano())
	first := t.TempDir()
	run(t, 0, cli, "build", "--progress", "plain", "--export", "tree", "--export", "tar", "--sbom",
		"--cache-to", "type=registry,ref="+cache+",mode=max", "--output-directory", first, locked)
	checkLockedSBOM(t, filepath.Join(first, "tar", "small.tar.gz.spdx.json"), lock, want)
	if got := installedVersions(t, filepath.Join(first, "tree")); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the locked build installed\n%s\nthe lock has\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if list, _ := os.ReadFile(filepath.Join(first, "tree/etc/apt/sources.list")); string(list) != "deb http://deb.debian.org/debian bookworm main\n" {
		t.Errorf("the locked tree's sources.list is %q", list)
	}
	tarball := filepath.Join(first, "tar", "small.tar.gz")
	// buildctl and buildx build the lock like any manifest.
	for _, w := range ways[1:] {
		out := t.TempDir()
		w.build(t, locked, out, buildOpts{target: "tar"})
		sameBytes(t, tarball, filepath.Join(out, "small.tar.gz"))
	}
	fresh := t.TempDir()
	run(t, 0, cli, "build", "--addr", isolatedBuildkitd(t, "127.0.0.1 localhost\n"), "--progress", "plain", "--export", "tar", "--sbom", "--output-directory", fresh, locked)
	sameBytes(t, tarball, filepath.Join(fresh, "tar", "small.tar.gz"))
	sameBytes(t, tarball+".spdx.json", filepath.Join(fresh, "tar", "small.tar.gz.spdx.json"))

	buildWithoutTheMirror(t, locked, cache, tarball, want)
	checkOldLock(t, locked)
	buildDroppedPackage(t, locked, lock)
}

// checkLockedSBOM: the SBOM of a locked build gives every package the
// SHA256 and the URL of the .deb the lock names for it.
func checkLockedSBOM(t *testing.T, path string, lock lockedManifest, want []string) {
	t.Helper()
	debs := map[string]string{} // "name:arch version" -> reference ID
	for _, st := range lock.Pipelines[0].Stages {
		for _, r := range st.Inputs.Packages.References {
			md := r.Options.Metadata
			debs[md["deb.package"]+":"+md["deb.arch"]+" "+md["deb.version"]] = r.ID
		}
	}
	d, _ := readSPDX(t, path)
	checkNTIA(t, "the locked build's SBOM", d)
	n := 0
	for _, p := range d.Packages {
		for _, r := range p.ExternalRefs {
			if r.Type != "purl" || !strings.HasPrefix(r.Locator, "pkg:deb/") {
				continue
			}
			_, q, _ := strings.Cut(r.Locator, "arch=")
			arch, _, _ := strings.Cut(q, "&")
			id := debs[p.Name+":"+arch+" "+p.Version]
			if id == "" || len(p.Checksums) != 1 || "sha256:"+p.Checksums[0].Value != id || p.DownloadLocation != lock.Sources.Curl.Items[id].URL {
				t.Errorf("%s %s: checksums %+v from %q; the lock has %s from %q", p.Name, p.Version, p.Checksums, p.DownloadLocation, id, lock.Sources.Curl.Items[id].URL)
			}
			n++
		}
	}
	if n != len(want) {
		t.Errorf("the locked build's SBOM lists %d packages, the lock %d", n, len(want))
	}
}

// buildWithoutTheMirror builds the lock on a fresh builder to which
// deb.debian.org resolves to a refused port, from the registry cache:
// the locked packages, the same tarball; a .deb that is not in the cache
// cannot be had there.
func buildWithoutTheMirror(t *testing.T, locked, cache, tarball string, want []string) {
	addr := isolatedBuildkitd(t, "127.0.0.1 localhost deb.debian.org security.debian.org\n")
	second := t.TempDir()
	run(t, 0, cli, "build", "--addr", addr, "--progress", "plain", "--export", "tree", "--export", "tar", "--cache-from", "type=registry,ref="+cache, "--output-directory", second, locked)
	if got := installedVersions(t, filepath.Join(second, "tree")); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the build without the mirror installed\n%s", strings.Join(got, "\n"))
	}
	sameBytes(t, tarball, filepath.Join(second, "tar", "small.tar.gz"))
	// The control: on that builder, a .deb that is not in the cache cannot
	// be had from the mirror.
	uncached := editLock(t, locked, func(s string) string {
		return regexp.MustCompile(`"sha256:[0-9a-f]{64}"`).ReplaceAllStringFunc(s, func(id string) string {
			return id[:len(id)-5] + "0000\""
		})
	})
	out := run(t, 1, cli, "build", "--addr", addr, "--progress", "plain", "--export", "tree", uncached)
	if !strings.Contains(out, "http://deb.debian.org/") || !strings.Contains(out, "refused") {
		t.Errorf("a download from the mirror on the isolated builder did not fail as refused:\n%s", tail(out, 20))
	}

}

// checkOldLock: lock --check of a fresh lock says nothing moved; of a lock
// with an old version, it names the package and exits 1; lock --update
// brings that lock back to the fresh one.
func checkOldLock(t *testing.T, locked string) {
	run(t, 0, cli, "lock", "--check", "--progress", "quiet", locked)
	old := editLock(t, locked, func(s string) string {
		return regexp.MustCompile(`("deb.package": "less",\s*"deb.version": ")[^"]+"`).ReplaceAllString(s, `${1}1.0-1"`)
	})
	out := run(t, 1, cli, "lock", "--check", "--progress", "quiet", old)
	if !regexp.MustCompile(`org.osbuild.apt \(.pipelines\[0\].stages\[1\]\): less:amd64: locked 1.0-1, the mirror has \S+`).MatchString(out) || !strings.Contains(out, "lock --update") {
		t.Errorf("lock --check of an old lock:\n%s", tail(out, 10))
	}
	// lock --update takes what the mirror has: the lock made at first.
	run(t, 0, cli, "lock", "--update", "--progress", "quiet", old)
	sameBytes(t, locked, old)

}

// buildDroppedPackage: a locked file the mirror no longer has fails the
// build naming the file, the status, the package and what to do.
func buildDroppedPackage(t *testing.T, locked string, lock lockedManifest) {
	var less string
	for _, r := range lock.Pipelines[0].Stages[1].Inputs.Packages.References {
		if r.Options.Metadata["deb.package"] == "less" {
			less = r.ID
		}
	}
	gone := editLock(t, locked, func(s string) string {
		s = strings.ReplaceAll(s, less, "sha256:"+strings.Repeat("1", 64))
		return regexp.MustCompile(`(pool/main/l/less/less_)[^"]+\.deb"`).ReplaceAllString(s, `${1}1.0-1_amd64.deb"`)
	})
	out := run(t, 1, cli, "build", "--progress", "plain", "--export", "tree", gone)
	for _, want := range []string{"less_1.0-1_amd64.deb", "404", "locked package less", "osbuildkit lock --update"} {
		if !strings.Contains(out, want) {
			t.Errorf("the build of a lock the mirror dropped says nothing of %q:\n%s", want, tail(out, 15))
		}
	}
}

// An unknown package fails the lock as bad input, with the closest name;
// a set apt cannot install (two conflicting packages), with apt's
// explanation; both located at the stage's packages, and shown with
// --progress quiet too.
func TestLockUnknownPackage(t *testing.T) {
	for _, tc := range []struct{ packages, want string }{
		{`"lesss"`, `unknown package "lesss" (did you mean "less"?)`},
		{`"systemd-sysv", "sysvinit-core"`, "systemd-sysv : Conflicts: sysvinit-core"},
	} {
		manifest := manifestFile(t, "integration/testdata/lock-small.json", func(s string) string {
			return strings.Replace(s, `"less"`, tc.packages, 1)
		})
		// Quiet: the failed step's log is shown all the same.
		out := run(t, 2, cli, "lock", "--progress", "quiet", manifest)
		if !strings.Contains(out, tc.want) || !strings.Contains(out, "org.osbuild.apt: .options.packages") {
			t.Errorf("lock of %s:\n%s", tc.packages, tail(out, 15))
		}
	}
}

// sameBytes fails the test unless files a and b have the same bytes.
func sameBytes(t *testing.T, a, b string) {
	t.Helper()
	da, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	db, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(da, db) {
		t.Errorf("%s (%d bytes, sha256 %x) and %s (%d bytes, sha256 %x) differ", a, len(da), sha256.Sum256(da), b, len(db), sha256.Sum256(db))
	}
}

// editLock writes an edited copy of the manifest at path.
func editLock(t *testing.T, path string, edit func(string) string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "edited.json")
	edited := edit(string(data))
	if edited == string(data) {
		t.Fatalf("the edit of %s changed nothing", path)
	}
	if err := os.WriteFile(p, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
