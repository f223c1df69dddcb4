package stages

import (
	"reflect"
	"strings"
	"testing"
)

// apt-get install --print-uris lines, as bookworm's apt prints them: the
// index's first hash (MD5Sum) or none (an upgrade from the security
// archive), the epoch escaped in the file name.
const printURIs = `Reading package lists...
Building dependency tree...
The following NEW packages will be installed:
  less xauth
'http://deb.debian.org/debian/pool/main/l/less/less_590-2.1~deb12u2_amd64.deb' less_590-2.1~deb12u2_amd64.deb 132000 MD5Sum:477bd5e5e8655659d5b72d6d50d34b6d
'http://deb.debian.org/debian/pool/main/x/xauth/xauth_1.1.2-1_amd64.deb' xauth_1%3a1.1.2-1_amd64.deb 35960 SHA256:` + hex64 + `
'http://deb.debian.org/debian-security/pool/updates/main/a/apt/apt_2.6.2_amd64.deb' apt_2.6.2_amd64.deb 1373116 
`

const hex64 = "8be9df5795114bfe90e2be3d208ef47a5edd3fc7b3e20d387a597486d444e5e2"

func TestParsePrintURIs(t *testing.T) {
	got, err := parsePrintURIs([]byte(printURIs))
	if err != nil {
		t.Fatal(err)
	}
	want := []LockedPackage{
		{Package: "less", Version: "590-2.1~deb12u2", Architecture: "amd64", URL: "http://deb.debian.org/debian/pool/main/l/less/less_590-2.1~deb12u2_amd64.deb", Size: 132000, SHA256: "MD5Sum:477bd5e5e8655659d5b72d6d50d34b6d"},
		{Package: "xauth", Version: "1:1.1.2-1", Architecture: "amd64", URL: "http://deb.debian.org/debian/pool/main/x/xauth/xauth_1.1.2-1_amd64.deb", Size: 35960, SHA256: hex64},
		{Package: "apt", Version: "2.6.2", Architecture: "amd64", URL: "http://deb.debian.org/debian-security/pool/updates/main/a/apt/apt_2.6.2_amd64.deb", Size: 1373116},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if _, err := parsePrintURIs([]byte("'http://m/x.deb' notapackage.deb 1 SHA256:00\n")); err == nil {
		t.Error("a file name that is not NAME_VERSION_ARCH.deb was accepted")
	}
	for _, line := range []string{"'http://m/a_1_all.deb' a_1_all.deb 1 SHA256:00 extra", "'http://m/a_1_all.deb' a_1_all.deb"} {
		if _, err := parsePrintURIs([]byte(line + "\n")); err == nil {
			t.Errorf("the download line %q was skipped", line)
		}
	}
}

// The archive's SHA256 and Priority replace what the download list says;
// a package the archive has no SHA256 for is an error.
func TestAddArchiveFields(t *testing.T) {
	pkgs, _ := parsePrintURIs([]byte(printURIs))
	pkgs = pkgs[:2]
	var asked []string
	show := func(args ...string) ([]byte, error) {
		asked = args
		return []byte("Package: less\nVersion: 590-2.1~deb12u2\nArchitecture: amd64\nPriority: important\nDescription: pager\n more\nSHA256: " + strings.Repeat("a", 64) +
			"\n\nPackage: xauth\nVersion: 1:1.1.2-1\nArchitecture: amd64\nPriority: optional\nSHA256: " + hex64 + "\n"), nil
	}
	if err := addArchiveFields(pkgs, show); err != nil {
		t.Fatal(err)
	}
	if pkgs[0].SHA256 != strings.Repeat("a", 64) || pkgs[0].Priority != "important" || pkgs[1].Priority != "optional" {
		t.Errorf("%+v", pkgs)
	}
	if want := []string{"show", "--no-all-versions", "less:amd64=590-2.1~deb12u2", "xauth:amd64=1:1.1.2-1"}; !reflect.DeepEqual(asked, want) {
		t.Errorf("apt-cache %v, want %v", asked, want)
	}
	noSum := func(...string) ([]byte, error) {
		return []byte("Package: less\nVersion: 590-2.1~deb12u2\nArchitecture: amd64\n"), nil
	}
	if err := addArchiveFields(pkgs[:1], noSum); err == nil || !strings.Contains(err.Error(), "no SHA256 checksum of less") {
		t.Errorf("a package without SHA256: %v", err)
	}
}

func TestCompareLocks(t *testing.T) {
	before := []LockedPackage{
		{Package: "less", Version: "1", Architecture: "amd64", SHA256: "a"},
		{Package: "gone", Version: "2", Architecture: "all", SHA256: "b"},
		{Package: "same", Version: "3", Architecture: "amd64", SHA256: "c"},
		{Package: "rebuilt", Version: "4", Architecture: "amd64", SHA256: "d"},
	}
	after := []LockedPackage{
		{Package: "less", Version: "2", Architecture: "amd64", SHA256: "e"},
		{Package: "same", Version: "3", Architecture: "amd64", SHA256: "c"},
		{Package: "rebuilt", Version: "4", Architecture: "amd64", SHA256: "f"},
		{Package: "new", Version: "5", Architecture: "amd64", SHA256: "g"},
	}
	want := []string{
		"gone:all 2: locked, no longer installed",
		"less:amd64: locked 1, the mirror has 2",
		"new:amd64 5: not locked (new)",
		"rebuilt:amd64 4: the mirror's file has another checksum (sha256:f)",
	}
	if got := CompareLocks(before, after); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if got := CompareLocks(after, after); len(got) != 0 {
		t.Errorf("a lock compared with itself: %q", got)
	}
}

// A set apt cannot install is explained by apt on standard output; the
// lock's error carries that explanation, and nothing when there is none.
func TestUnmetDependencies(t *testing.T) {
	out := []byte("Reading package lists...\nSome packages could not be installed.\nThe following information may help to resolve the situation:\n\n" +
		"The following packages have unmet dependencies:\n systemd-sysv : Conflicts: sysvinit-core but 3.06-4 is to be installed\n\n")
	want := "\nThe following packages have unmet dependencies:\n systemd-sysv : Conflicts: sysvinit-core but 3.06-4 is to be installed"
	if got := unmetDependencies(out); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := unmetDependencies([]byte("Reading package lists...\n")); got != "" {
		t.Errorf("no explanation, got %q", got)
	}
}
