package llb

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"

	"github.com/osbuildkit/osbuildkit/manifest"
	"github.com/osbuildkit/osbuildkit/stages"
)

// loadEdited loads a manifest with edit applied to its text.
func loadEdited(t *testing.T, path string, edit func(string) string) *manifest.Manifest {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Load(path, []byte(edit(string(data))))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// diskSteps finds the assembler's two steps: the base filesystems and the
// disk made onto them.
func diskSteps(t *testing.T, ops []op) (base, disk *op) {
	t.Helper()
	for i := range ops {
		switch ops[i].name() {
		case "[assembler] org.osbuild.qemu (base filesystems)":
			base = &ops[i]
		case "[assembler] org.osbuild.qemu":
			disk = &ops[i]
		}
	}
	if disk == nil {
		t.Fatal("no assembler step")
	}
	return base, disk
}

func mountOf(o *op, dest string) *pb.Mount {
	for _, m := range o.pb.GetExec().GetMounts() {
		if m.GetDest() == dest {
			return m
		}
	}
	return nil
}

// The reference image's disk is made in two steps: the filesystems of the
// tree after apt, which a hostname change leaves cached and which no
// registry cache carries, and the disk made onto them, which mounts them
// and that tree.
func TestIncrementalDiskSteps(t *testing.T) {
	ref := "../images/debian-bookworm-qcow2.json"
	digests := map[string][2]digest.Digest{}
	for _, host := range []string{"one", "two"} {
		m := loadEdited(t, ref, func(s string) string {
			return strings.Replace(s, `"hostname": "debian-osbuildkit"`, `"hostname": "`+host+`"`, 1)
		})
		_, _, ops := compile(t, m, Options{})
		base, disk := diskSteps(t, ops)
		if base == nil {
			t.Fatal("no base step")
		}
		if ec := base.meta.ExportCache; ec == nil || ec.Value {
			t.Errorf("the base step is exported with the cache: %v", ec)
		}
		if mountOf(disk, stages.BaseDiskDir) == nil || mountOf(disk, stages.BaseTreeDir) == nil || mountOf(base, stages.BaseDiskDir) != nil {
			t.Error("the disk step does not mount the base and its tree, or the base step does")
		}
		spec := stageSpec(t, disk)
		if spec.BaseDisk != stages.BaseDiskDir+"/"+stages.BaseFile || spec.BaseTree != stages.BaseTreeDir || spec.Base {
			t.Errorf("disk step's spec: %+v", spec)
		}
		if !stageSpec(t, base).Base {
			t.Error("the base step's spec does not ask for the base")
		}
		digests[host] = [2]digest.Digest{base.digest, disk.digest}
	}
	if digests["one"][0] != digests["two"][0] {
		t.Error("a hostname change changes the base step")
	}
	if digests["one"][1] == digests["two"][1] {
		t.Error("a hostname change leaves the disk step as it was")
	}
	// Nothing after the last bulk stage: one step, as before.
	m := loadEdited(t, ref, func(s string) string {
		i := strings.Index(s, `{"name": "org.osbuild.first-boot"`)
		j := strings.Index(s, "\n      ]\n    }\n  ],")
		return s[:i-len(",\n        ")] + s[j:]
	})
	_, _, ops := compile(t, m, Options{})
	if base, disk := diskSteps(t, ops); base != nil || mountOf(disk, stages.BaseDiskDir) != nil {
		t.Error("a tree that ends with its bulk stage has a base step")
	}
}

// stageSpec is the spec an exec step hands the helper (in its environment).
func stageSpec(t *testing.T, o *op) stages.Spec {
	t.Helper()
	spec := stageSpecOf(o.pb.GetExec())
	if spec.Type == "" {
		t.Fatalf("%s has no spec", o.name())
	}
	return spec
}

// stageSpecOf is the spec in an exec's environment, or the zero Spec.
func stageSpecOf(ex *pb.ExecOp) stages.Spec {
	var spec stages.Spec
	for _, e := range ex.GetMeta().GetEnv() {
		if v, ok := strings.CutPrefix(e, stages.SpecEnv+"="); ok {
			_ = json.Unmarshal([]byte(v), &spec)
		}
	}
	return spec
}
