package llb

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	bkllb "github.com/moby/buildkit/client/llb"
	digest "github.com/opencontainers/go-digest"

	"github.com/osbuildkit/osbuildkit/manifest"
	"github.com/osbuildkit/osbuildkit/stages"
)

// A layout the stage works around is reported when the build is planned,
// located at the option, so a cached step still warns.
func TestPlanWarningsAreLocated(t *testing.T) {
	res, _, _ := compile(t, load(t, "../images/debian-bootable-qcow2-fixed.json"), Options{})
	if len(res.Warnings) != 1 {
		t.Fatalf("warnings %v, want the over-long root partition", res.Warnings)
	}
	got := res.Warnings[0].String()
	for _, want := range []string{"[assembler] assembler 0 org.osbuild.qemu:", ".options.partitions[1].size (../images/debian-bootable-qcow2-fixed.json:56:",
		"partition 2 ends 17.0 MiB after the usable end of the disk; fitted it to the disk"} {
		if !strings.Contains(got, want) {
			t.Errorf("warning %q does not say %q", got, want)
		}
	}
	if res, _, _ := compile(t, load(t, "../images/debian-bookworm-qcow2.json"), Options{}); len(res.Warnings) != 0 {
		t.Errorf("a disk that fits warns: %v", res.Warnings)
	}
}

// An image that installs an SSH server without regenerating its host keys
// is warned about, at the package; a buildroot pipeline is not.
func TestHostKeyWarningIsLocated(t *testing.T) {
	res, _, _ := compile(t, load(t, "../images/user-basic-tar.json"), Options{})
	if len(res.Warnings) != 1 {
		t.Fatalf("warnings %v, want the SSH host keys", res.Warnings)
	}
	got := res.Warnings[0].String()
	for _, want := range []string{"[build] stage 1 org.osbuild.apt: .pipelines[0].stages[1].options.packages[1] (../images/user-basic-tar.json:21:15): ",
		"openssh-server generates SSH host keys while the image is built"} {
		if !strings.Contains(got, want) {
			t.Errorf("warning %q does not say %q", got, want)
		}
	}
	m, err := manifest.Load("m.json", []byte(`{"version": "2", "pipelines": [
		{"name": "build", "stages": [{"type": "org.osbuild.apt", "options": {"packages": ["openssh-server"]}}]},
		{"name": "os", "build": "name:build", "stages": [{"type": "org.osbuild.mkdir", "options": {"paths": [{"path": "/srv"}]}}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if res, _, _ := compile(t, m, Options{}); len(res.Warnings) != 0 {
		t.Errorf("a buildroot pipeline warns: %v", res.Warnings)
	}
}

// A disk step reports its boot checks from an output of its own, which the
// build reads back; each finding becomes a warning located at the stage to
// change, in the pipeline that holds it.
func TestBootReportsAreLocated(t *testing.T) {
	m := load(t, "../images/debian-bootable-qcow2-fixed.json")
	res, _, _ := compile(t, m, Options{})
	if len(res.Reports) != 1 || res.Reports[0].Stage.Type != "org.osbuild.qemu" {
		t.Fatalf("reports %+v, want the qemu assembler's", res.Reports)
	}
	def, err := res.Reports[0].State.Marshal(context.Background(), bkllb.LinuxAmd64)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(bytes.Join(def.Def, nil)), stages.ReportDir) {
		t.Errorf("the report's step mounts nothing at %s", stages.ReportDir)
	}
	ws, err := res.Reports[0].Warnings(m, []byte(`[{"check": "init", "ref": "/sbin/init", "message": "the tree has no /sbin/init"}]`))
	if err != nil || len(ws) != 1 {
		t.Fatalf("warnings %v (%v)", ws, err)
	}
	want := "[build] stage 1 org.osbuild.apt: .pipelines[0].stages[1].options.packages (../images/debian-bootable-qcow2-fixed.json:18:"
	if got := ws[0].String(); !strings.HasPrefix(got, want) || !strings.HasSuffix(got, "the tree has no /sbin/init") {
		t.Errorf("warning %q, want it to start %q", got, want)
	}
	if _, err := res.Reports[0].Warnings(m, []byte("not json")); err == nil {
		t.Error("a garbled report reads without error")
	}
}

// The output depends on the report's output (a merge with its empty diff
// against itself), so a registry cache of the output carries the findings
// and a second builder need not run the disk step to read them; an output
// without reports is not wrapped.
func TestOutputCarriesReports(t *testing.T) {
	m := load(t, "../images/debian-bootable-qcow2-fixed.json")
	res, _, ops := compile(t, m, Options{})
	if len(res.Reports) != 1 {
		t.Fatalf("%d reports, want the disk step's", len(res.Reports))
	}
	byDigest := map[digest.Digest]op{}
	used := map[digest.Digest]bool{}
	for _, o := range ops {
		byDigest[o.digest] = o
		for _, in := range o.pb.Inputs {
			used[digest.Digest(in.Digest)] = true
		}
	}
	var merge op
	for _, o := range ops {
		if !used[o.digest] {
			merge = o // the output: what no other step takes
		}
	}
	if merge.pb.GetMerge() == nil {
		t.Fatalf("the output is %q, not a merge", merge.name())
	}
	var diff op
	for _, in := range merge.pb.Inputs {
		if o := byDigest[digest.Digest(in.Digest)]; o.pb.GetDiff() != nil {
			diff = o
		}
	}
	if diff.pb == nil {
		t.Fatalf("the output's merge has no diff: %+v", merge.pb)
	}
	for _, in := range diff.pb.Inputs {
		src := byDigest[digest.Digest(in.Digest)]
		if src.name() != "[assembler] org.osbuild.qemu" || in.Index == 0 {
			t.Errorf("the diff is of %q output %d, want the disk step's report output", src.name(), in.Index)
		}
	}

	plain, _, plainOps := compile(t, load(t, "../images/user-basic-tar.json"), Options{})
	if len(plain.Reports) != 0 {
		t.Fatalf("the tar manifest has reports: %+v", plain.Reports)
	}
	for _, o := range plainOps {
		if o.pb.GetMerge() != nil || o.pb.GetDiff() != nil {
			t.Errorf("an output without reports has %q", o.name())
		}
	}
}

// A disk step's report names the file the output holds as the step wrote
// it, at its place in the output's layout, so the output copy can take
// the step's block digests; a step whose file a later stage of its
// pipeline may change, or an output that moves it elsewhere, names none.
func TestReportNamesTheFileItHashed(t *testing.T) {
	m := load(t, "../images/debian-bootable-qcow2-fixed.json")
	for _, tc := range []struct {
		layout Layout
		want   string
	}{{Flat, "debian-bootable.qcow2"}, {ByName, "assembler/debian-bootable.qcow2"}, {ContainerDisk, ""}} {
		res, _, _ := compile(t, m, Options{Layout: tc.layout})
		if len(res.Reports) != 1 || res.Reports[0].File != tc.want {
			t.Errorf("layout %d: reports %+v, want one naming %q", tc.layout, res.Reports, tc.want)
		}
	}
	disk := func(name string) string {
		return `{"type": "org.osbuild.image", "inputs": {"tree": {"type": "org.osbuild.tree", "origin": "org.osbuild.pipeline", "references": ["name:tree"]}},
			"options": {"filename": "` + name + `", "size": "2G", "partitions": [{"start": 2048, "size": 4190208, "filesystem": {"type": "ext4", "mountpoint": "/"}}], "format": {"type": "qcow2"}}}`
	}
	two, err := manifest.Load("two.json", []byte(`{"version": "2", "pipelines": [
		{"name": "tree", "stages": [{"type": "org.osbuild.debootstrap", "options": {"suite": "bookworm"}}]},
		{"name": "disk", "stages": [`+disk("a.qcow2")+`, `+disk("b.qcow2")+`]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	res, _, _ := compile(t, two, Options{})
	var files []string
	for _, r := range res.Reports {
		files = append(files, r.File)
	}
	if !slices.Equal(files, []string{"", "b.qcow2"}) {
		t.Errorf("two disk stages in a row name %q, want only the last one's file", files)
	}
	res, _, _ = compile(t, two, Options{Exports: []string{"tree", "disk"}})
	if len(res.Reports) != 2 || res.Reports[1].File != "disk/b.qcow2" {
		t.Errorf("two exports: reports %+v, want the last naming disk/b.qcow2", res.Reports)
	}
}
