package standin

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
)

// buildStandInDeb makes a package with dpkg-deb, compressed with compression.
func buildStandInDeb(t *testing.T, compression string) string {
	t.Helper()
	dir := t.TempDir()
	pkg := filepath.Join(dir, "pkg")
	for name, content := range map[string]string{
		"DEBIAN/control":            "Package: stand-in\nVersion: 1.0\nArchitecture: all\nMaintainer: test <t@example.org>\nDescription: test\n",
		"DEBIAN/postinst":           "#!/bin/sh\necho configured\n",
		"DEBIAN/conffiles":          "/etc/stand-in.conf\n",
		"etc/stand-in.conf":         "x=1\n",
		"usr/lib/stand-in/data.bin": string(bytes.Repeat([]byte("module\x00"), 40000)),
	} {
		p := filepath.Join(pkg, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(filepath.Join(pkg, "DEBIAN/postinst"), 0o755)
	deb := filepath.Join(dir, "stand-in.deb")
	if out, err := exec.Command("dpkg-deb", "--root-owner-group", "-Z"+compression, "--build", pkg, deb).CombinedOutput(); err != nil {
		t.Fatalf("dpkg-deb --build: %v: %s", err, out)
	}
	return deb
}

// dpkg-deb's stand-in gives dpkg what dpkg-deb does: the same data
// archive, byte for byte, and the same control files, for every
// compression Debian uses.
func TestNativeDpkgDebAsDpkg(t *testing.T) {
	if _, err := exec.LookPath("dpkg-deb"); err != nil {
		t.Skip("no dpkg-deb here")
	}
	for _, compression := range []string{"xz", "gzip", "zstd", "none"} {
		deb := buildStandInDeb(t, compression)
		want, err := exec.Command("dpkg-deb", "--fsys-tarfile", deb).Output()
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := nativeDpkgDeb([]string{"--fsys-tarfile", deb}, &got); err != nil {
			t.Fatalf("%s: %v", compression, err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%s: the data archive differs from dpkg-deb's (%d bytes, want %d)", compression, got.Len(), len(want))
		}
		dir := t.TempDir()
		if out, err := exec.Command("dpkg-deb", "--control", deb, dir+"/gnu").CombinedOutput(); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if err := nativeDpkgDeb([]string{"--control", deb, dir + "/native"}, nil); err != nil {
			t.Fatalf("%s: %v", compression, err)
		}
		if d := gocmp.Diff(controlFiles(t, dir+"/native"), controlFiles(t, dir+"/gnu")); d != "" {
			t.Errorf("%s: control files (-native +dpkg-deb):\n%s", compression, d)
		}
	}
}

// controlFiles is each file's mode, owner and content, and the directory's.
func controlFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, p)
		m := metaOf(t, p)
		files[rel] = fmt.Sprintf("%o %d:%d %q", m.Mode, m.Uid, m.Gid, m.Content)
		return nil
	})
	return files
}

// dpkg-split's stand-in says "not a part" (status 1) of a whole package,
// and leaves a part of a split one, and other arguments, to dpkg-split.
func TestNativeDpkgSplit(t *testing.T) {
	if _, err := exec.LookPath("dpkg-split"); err != nil {
		t.Skip("no dpkg-split here")
	}
	deb := buildStandInDeb(t, "none")
	err := exec.Command("dpkg-split", "-Qao", t.TempDir()+"/r", deb).Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("dpkg-split itself: %v, want status 1", err)
	}
	if err := nativeDpkgSplit([]string{"-Qao", t.TempDir() + "/r", deb}, nil); err != exitStatus(1) {
		t.Errorf("a whole package: %v, want status 1", err)
	}
	dir := t.TempDir()
	if out, err := exec.Command("dpkg-split", "-S", "100", "-s", deb, dir+"/part").CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	parts, _ := filepath.Glob(dir + "/part*")
	if len(parts) < 2 {
		t.Fatalf("dpkg-split made %q", parts)
	}
	for _, args := range [][]string{{"-Qao", dir + "/r", parts[0]}, {"--info", deb}, {"-Qao", dir + "/r", dir + "/missing"}} {
		if err := nativeDpkgSplit(args, nil); err != errNotMine {
			t.Errorf("%q: %v, want it left to dpkg-split", args, err)
		}
	}
	for _, args := range [][]string{{"--info", deb}, {"--fsys-tarfile", parts[0]}, {"--control", deb}} {
		if err := nativeDpkgDeb(args, nil); err != errNotMine {
			t.Errorf("dpkg-deb %q: %v, want it left to dpkg-deb", args, err)
		}
	}
}
