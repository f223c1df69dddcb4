package stages

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/osbuildkit/osbuildkit/manifest"
)

func TestMmdebstrapArgs(t *testing.T) {
	f := false
	got := mmdebstrapArgs(&debootstrapOptions{Suite: "bookworm", Include: []string{"systemd"}, Exclude: []string{"nano"}, Components: []string{"main", "contrib"}, Arch: "arm64"}, "/t", DefaultMirror)
	want := []string{"--mode=root", "--skip=chroot/mount", "--format=directory", "--variant=minbase", "--components=main,contrib",
		"--architectures=arm64", "--skip=check/qemu", "--include=systemd,nano-", "--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr", "bookworm", "/t", DefaultMirror}
	if !slices.Equal(got, want) {
		t.Errorf("args\n got %q\nwant %q", got, want)
	}
	got = mmdebstrapArgs(&debootstrapOptions{Suite: "sid", Variant: "buildd", Mirror: "http://m/debian", MergedUsr: &f}, "/t", "http://m/debian")
	if !slices.Contains(got, "--variant=buildd") || !slices.Contains(got, "--hook-dir=/usr/share/mmdebstrap/hooks/no-merged-usr") || got[len(got)-1] != "http://m/debian" {
		t.Errorf("args %q", got)
	}
}

func TestDebootstrapRejectsUnknownSuite(t *testing.T) {
	_, err := planOf(t, `{"type": "org.osbuild.debootstrap", "options": {"suite": "bookwrom"}}`)
	var le *manifest.LocationError
	if !errors.As(err, &le) || le.Path.String() != ".pipelines[0].stages[0].options.suite" || !strings.Contains(err.Error(), `did you mean "bookworm"?`) {
		t.Errorf("got %v", err)
	}
}

// An architecture Debian does not build is bad input at .options.arch
// (the stage's schema names Debian's); a known one plans.
func TestDebootstrapRejectsUnknownArch(t *testing.T) {
	_, err := planOf(t, `{"type": "org.osbuild.debootstrap", "options": {"suite": "bookworm", "arch": "aarch64"}}`)
	if err == nil || !strings.Contains(err.Error(), ".pipelines[0].stages[0].options.arch") || !strings.Contains(err.Error(), "'amd64', 'arm64', 'armel'") {
		t.Errorf("got %v", err)
	}
	if _, err := planOf(t, `{"type": "org.osbuild.debootstrap", "options": {"suite": "bookworm", "arch": "arm64"}}`); err != nil {
		t.Errorf("arm64: %v", err)
	}
}
