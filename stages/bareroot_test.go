package stages

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestLinkBareRoot(t *testing.T) {
	dir, root := t.TempDir(), t.TempDir()
	for _, d := range []string{"usr/bin", "etc/apt", "tmp", "root", "proc", "var/lib"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"usr/bin/sh", "etc/mke2fs.conf", "etc/hosts"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{"bin": "usr/bin", "etc/os-release": "../usr/lib/os-release"} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	// BuildKit's own /etc/hosts is in the root before the helper starts.
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "etc/hosts"), []byte("buildkit"), 0o644); err != nil {
		t.Fatal(err)
	}
	for range 2 { // a second run (a break shell after the stage) changes nothing
		if err := linkBareRoot(root, dir); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"usr": filepath.Join(dir, "usr"), "var": filepath.Join(dir, "var"), "bin": "usr/bin",
		"etc/apt": filepath.Join(dir, "etc/apt"), "etc/mke2fs.conf": filepath.Join(dir, "etc/mke2fs.conf"),
		"etc/os-release": "../usr/lib/os-release",
	}
	for path, want := range links {
		got, err := os.Readlink(filepath.Join(root, path))
		if err != nil || got != want {
			t.Errorf("%s: link to %q (%v), want %q", path, got, err, want)
		}
	}
	if b, err := os.ReadFile(filepath.Join(root, "bin/sh")); err != nil || string(b) != "usr/bin/sh" {
		t.Errorf("/bin/sh through the links: %q, %v", b, err)
	}
	if b, err := os.ReadFile(filepath.Join(root, "etc/hosts")); err != nil || string(b) != "buildkit" {
		t.Errorf("/etc/hosts: %q, %v; BuildKit's must stay", b, err)
	}
	for name, want := range map[string]fs.FileMode{"tmp": fs.ModeDir | fs.ModeSticky | 0o777, "root": fs.ModeDir | 0o700} {
		fi, err := os.Lstat(filepath.Join(root, name))
		if err != nil || fi.Mode() != want {
			t.Errorf("/%s: %v (%v), want a writable directory %v", name, fi.Mode(), err, want)
		}
	}
	if _, err := os.Lstat(filepath.Join(root, "proc")); err == nil {
		t.Error("/proc was made; it is the sandbox's")
	}
}
