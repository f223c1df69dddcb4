package stages

import (
	"slices"
	"strings"
	"testing"
)

// mkfs.erofs's command lines are osbuild's, argument for argument: the
// cases are osbuild's stages/test/test_erofs.py TEST_INPUT (at the commit
// docs/stages.md pins).
func TestErofsArgs(t *testing.T) {
	for _, c := range []struct{ options, want string }{
		{`{}`, ""},
		{`{"compression": {"method": "lz4"}}`, "-z lz4"},
		{`{"compression": {"method": "lz4hc", "level": 9}}`, "-z lz4hc,9"},
		{`{"options": ["dedupe"]}`, "-E dedupe"},
		{`{"options": ["all-fragments", "force-inode-compact"]}`, "-E all-fragments,force-inode-compact"},
		{`{"cluster-size": 131072, "options": ["dedupe"]}`, "-E dedupe -C 131072"},
		{`{"exclude_paths": ["boot/", "root/"]}`, "--exclude-regex boot/ --exclude-regex root/"},
		{`{"compression": {"method": "lz4hc", "level": 0}, "cluster-size": 0}`, "-z lz4hc"},
	} {
		o, err := decodeOptions[erofsOptions]([]byte(c.options))
		if err != nil {
			t.Fatalf("%s: %v", c.options, err)
		}
		got := erofsArgs(o, "/t/some-file.img", "/in")
		if want := append([]string{"/t/some-file.img", "/in", "--quiet"}, strings.Fields(c.want)...); !slices.Equal(got, want) {
			t.Errorf("%s:\n got %q\nwant %q", c.options, got, want)
		}
	}
}

// The image is planned as squashfs's: the stage's output, erofs-utils in
// the buildroot, security.insecure only for a source on a mount.
func TestErofsPlan(t *testing.T) {
	plan, err := planOnTree(t, "org.osbuild.erofs", `{"filename": "images/root.erofs", "compression": {"method": "lz4hc", "level": 9}}`)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(plan.Outputs, []string{"images/root.erofs"}) || !slices.Equal(plan.Exec.Tools, []string{"erofs-utils"}) || plan.Exec.Insecure {
		t.Errorf("outputs %q, tools %q, insecure %v", plan.Outputs, plan.Exec.Tools, plan.Exec.Insecure)
	}
	_, err = planOnTree(t, "org.osbuild.erofs", `{"filename": "../root.erofs"}`)
	if err == nil || !strings.Contains(err.Error(), ".options.filename") {
		t.Errorf("a filename outside the tree: %v", err)
	}
}
