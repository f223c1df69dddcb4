package stages

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildDeb builds a tiny package with dpkg-deb and returns it as a locked
// input file: named by its checksum, in dir, as the packages input mounts it.
func buildDeb(t *testing.T, dir, name, version, priority string) lockedDeb {
	t.Helper()
	if _, err := exec.LookPath("dpkg-deb"); err != nil {
		t.Skip("dpkg-deb is not installed")
	}
	src := t.TempDir()
	os.MkdirAll(filepath.Join(src, "DEBIAN"), 0o755)
	control := "Package: " + name + "\nVersion: " + version + "\nArchitecture: all\nMaintainer: t <t@example.org>\nPriority: " + priority + "\nDescription: a test\n two lines\n"
	os.WriteFile(filepath.Join(src, "DEBIAN", "control"), []byte(control), 0o644)
	deb := filepath.Join(t.TempDir(), "p.deb")
	if out, err := exec.Command("dpkg-deb", "--root-owner-group", "--build", src, deb).CombinedOutput(); err != nil {
		t.Fatalf("dpkg-deb: %v\n%s", err, out)
	}
	data, _ := os.ReadFile(deb)
	s := sha256.Sum256(data)
	ref := "sha256:" + hex.EncodeToString(s[:])
	os.WriteFile(filepath.Join(dir, ref), data, 0o644)
	return lockedDeb{Ref: ref, Path: filepath.Join(dir, ref), Meta: map[string]string{MetaPackage: name, MetaVersion: version, MetaArch: "all"}}
}

// The local repository is what apt reads: the archive's priority replaces
// the package's, each file is linked under the archive's name, and apt
// (the host's, with the repository as its only source) finds the packages
// at the locked versions.
func TestLocalRepository(t *testing.T) {
	in := t.TempDir()
	a := buildDeb(t, in, "osbk-a", "1:2.0-1", "optional")
	a.Meta[MetaPriority] = "required"
	b := buildDeb(t, in, "osbk-b", "3", "optional")
	repo := filepath.Join(t.TempDir(), "repo")
	if err := writeLocalRepo(repo, "bookworm", []lockedDeb{a, b}); err != nil {
		t.Fatal(err)
	}
	index, _ := os.ReadFile(filepath.Join(repo, "Packages"))
	stanzas := strings.Split(string(index), "\n\n")
	if len(stanzas) != 2 || !strings.Contains(stanzas[0], "Priority: required\n") || strings.Contains(stanzas[0], "Priority: optional") ||
		!strings.Contains(stanzas[0], "Filename: ./osbk-a_1%3a2.0-1_all.deb\n") || !strings.Contains(stanzas[0], " two lines\n") ||
		!strings.Contains(stanzas[1], "SHA256: "+strings.TrimPrefix(b.Ref, "sha256:")+"\n") {
		t.Errorf("Packages:\n%s", index)
	}
	if target, err := os.Readlink(filepath.Join(repo, "osbk-a_1%3a2.0-1_all.deb")); err != nil || target != a.Path {
		t.Errorf("the link to the first package: %q, %v", target, err)
	}
	release, _ := os.ReadFile(filepath.Join(repo, "Release"))
	s := sha256.Sum256(index)
	if !strings.HasPrefix(string(release), "Suite: bookworm\nCodename: bookworm\n") || !strings.Contains(string(release), hex.EncodeToString(s[:])) {
		t.Errorf("Release:\n%s", release)
	}
	aptReads(t, repo, "osbk-a", "1:2.0-1")

	// Metadata that does not match the file is refused.
	b.Meta[MetaVersion] = "4"
	if err := writeLocalRepo(filepath.Join(t.TempDir(), "r"), "bookworm", []lockedDeb{b}); err == nil || !strings.Contains(err.Error(), `deb.version "4"`) {
		t.Errorf("mismatched metadata: %v", err)
	}
}

// aptReads checks with the host's apt that the repository offers pkg at
// version.
func aptReads(t *testing.T, repo, pkg, version string) {
	t.Helper()
	if _, err := exec.LookPath("apt-get"); err != nil {
		t.Log("apt-get is not installed: the index is not read back")
		return
	}
	d := t.TempDir()
	for _, sub := range []string{"lists/partial", "archives/partial", "parts"} {
		os.MkdirAll(filepath.Join(d, sub), 0o755)
	}
	os.WriteFile(filepath.Join(d, "sources.list"), []byte("deb [trusted=yes] file:"+repo+" ./\n"), 0o644)
	os.WriteFile(filepath.Join(d, "status"), nil, 0o644)
	opts := []string{"-o", "Dir::Etc::SourceList=" + filepath.Join(d, "sources.list"), "-o", "Dir::Etc::SourceParts=" + filepath.Join(d, "parts"),
		"-o", "Dir::State::Lists=" + filepath.Join(d, "lists"), "-o", "Dir::State::status=" + filepath.Join(d, "status"),
		"-o", "Dir::Cache=" + d, "-o", "Debug::NoLocking=1"}
	if out, err := exec.Command("apt-get", append(opts, "update")...).CombinedOutput(); err != nil {
		t.Fatalf("apt-get update of the local repository: %v\n%s", err, out)
	}
	out, err := exec.Command("apt-cache", append(opts, "policy", pkg)...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Candidate: "+version) {
		t.Errorf("apt-cache policy %s: %v\n%s", pkg, err, out)
	}
}
