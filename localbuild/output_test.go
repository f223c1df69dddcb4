package localbuild

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// A killed build's temporary export is removed by the next build in the
// same output directory; a running build's and the user's files are kept.
func TestSweepStaleExports(t *testing.T) {
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	stale := fmt.Sprintf("%s%d-123", exportTempPrefix, dead.Process.Pid)
	live := fmt.Sprintf("%s%d-456", exportTempPrefix, os.Getpid())
	for _, d := range []string{stale, live, "tree", exportTempPrefix + "notapid"} {
		if err := os.MkdirAll(filepath.Join(dir, d, "etc"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := newOutput(dir, []string{"tree"}); err != nil {
		t.Fatal(err)
	}
	var left []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		left = append(left, e.Name())
	}
	want := []string{exportTempPrefix + "notapid", live, "tree"}
	slices.Sort(want)
	if !slices.Equal(left, want) {
		t.Errorf("left %v, want %v", left, want)
	}
}

// Nothing is created in the output directory before the export starts.
func TestOutputCreatesNothingBeforeExport(t *testing.T) {
	dir := t.TempDir()
	o, err := newOutput(dir, []string{"tree"})
	if err != nil {
		t.Fatal(err)
	}
	o.exports()
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("before the export: %v", entries)
	}
	unpackTo, err := o.unpack.begin()
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(unpackTo) != "tree" || filepath.Dir(filepath.Dir(unpackTo)) != dir {
		t.Errorf("unpacks into %s", unpackTo)
	}
}

// An existing, non-empty output directory is merged into, as osbuild does:
// same-named files are replaced, others kept, other pipelines untouched.
func TestMergeIntoExistingOutput(t *testing.T) {
	dir := t.TempDir()
	write := func(p, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("out/tree/etc/keep", "old, kept")
	write("out/tree/etc/replace", "old")
	write("out/tree/etc/was-a-file", "file")
	write("out/other/x", "another pipeline")
	write("new/etc/replace", "new")
	write("new/etc/added", "added")
	write("new/etc/was-a-file/inside", "now a directory")
	if err := mergeInto(filepath.Join(dir, "new"), filepath.Join(dir, "out/tree")); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]string{
		"out/tree/etc/keep": "old, kept", "out/tree/etc/replace": "new", "out/tree/etc/added": "added",
		"out/tree/etc/was-a-file/inside": "now a directory", "out/other/x": "another pipeline",
	} {
		if got, err := os.ReadFile(filepath.Join(dir, p)); err != nil || string(got) != want {
			t.Errorf("%s: %q, %v; want %q", p, got, err, want)
		}
	}
}
