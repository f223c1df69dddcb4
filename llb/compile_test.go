package llb

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"

	_ "github.com/osbuildkit/osbuildkit/assemblers" // the v1 examples' assemblers
	"github.com/osbuildkit/osbuildkit/manifest"
)

// op is one marshalled LLB op with its metadata.
type op struct {
	digest digest.Digest
	pb     *pb.Op
	meta   bkllb.OpMetadata
}

func (o op) name() string { return o.meta.Description["llb.customname"] }

func load(t testing.TB, path string) *manifest.Manifest {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Load(path, data)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func testHelper() Helper {
	return Helper{State: bkllb.Image("localhost:5000/osbuildkit/frontend:test", bkllb.WithCustomName("[helper] frontend")), Dir: "/usr/bin"}
}

func compile(t testing.TB, m *manifest.Manifest, opt Options) (*Result, *bkllb.Definition, []op) {
	t.Helper()
	if opt.Helper.Dir == "" {
		opt.Helper = testHelper()
	}
	res, err := Compile(context.Background(), m, opt)
	if err != nil {
		t.Fatal(err)
	}
	def, err := res.Output.Marshal(context.Background(), bkllb.LinuxAmd64)
	if err != nil {
		t.Fatal(err)
	}
	var ops []op
	if len(def.Def) == 0 {
		return res, def, nil // an empty pipeline is scratch
	}
	for _, b := range def.Def[:len(def.Def)-1] { // the last is the terminal
		var o pb.Op
		if err := o.UnmarshalVT(b); err != nil {
			t.Fatal(err)
		}
		d := digest.FromBytes(b)
		ops = append(ops, op{digest: d, pb: &o, meta: def.Metadata[d]})
	}
	return res, def, ops
}

func byName(ops []op, name string) []op {
	var out []op
	for _, o := range ops {
		if o.name() == name {
			out = append(out, o)
		}
	}
	return out
}

func docs(t testing.TB) []string {
	files, _ := filepath.Glob("../manifest/testdata/osbuild-docs/doc-*.json")
	if len(files) < 8 {
		t.Fatalf("found %d docs", len(files))
	}
	return files
}

func TestDeterministic(t *testing.T) {
	for _, f := range docs(t) {
		m := load(t, f)
		_, first, _ := compile(t, m, Options{})
		for i := 0; i < 25; i++ {
			_, again, _ := compile(t, load(t, f), Options{})
			if !slices.EqualFunc(first.Def, again.Def, func(a, b []byte) bool { return string(a) == string(b) }) {
				t.Fatalf("%s: marshalling %d differs from the first", f, i)
			}
		}
	}
}

func TestEveryStageOpIsNamedAndLocated(t *testing.T) {
	for _, f := range docs(t) {
		m := load(t, f)
		_, _, ops := compile(t, m, Options{SourceMap: bkllb.NewSourceMap(nil, f, "json", m.File().Data)})
		for _, o := range ops {
			name := o.name()
			if !strings.HasPrefix(name, "[") {
				t.Errorf("%s: op %s has no [pipeline] name: %q", f, o.digest, name)
			}
			if path := o.meta.Description[StageKey]; path != "" && !strings.HasPrefix(path, ".pipelines[") {
				t.Errorf("%s: op %q has stage path %q", f, name, path)
			}
		}
		for _, pl := range m.Pipelines {
			for _, st := range pl.Stages {
				if st.Type == "org.osbuild.noop" {
					continue
				}
				if len(byName(ops, "["+pl.Name+"] "+st.Type)) == 0 {
					t.Errorf("%s: no op named [%s] %s", f, pl.Name, st.Type)
				}
			}
		}
	}
}

// examples lists every manifest the project ships or was given: osbuild's
// documented examples, the images (the users' examples are there as
// user-*.json) and the integration manifests, all inside the repository.
func examples(t testing.TB) []string {
	files := docs(t)
	for _, g := range []string{"../images/*.json", "../integration/testdata/*.json"} {
		more, _ := filepath.Glob(g)
		files = append(files, more...)
	}
	return files
}

// loadedExamples loads every example that loads (the others are covered
// by the manifest tests), by file name.
func loadedExamples(t testing.TB) map[string]*manifest.Manifest {
	out := map[string]*manifest.Manifest{}
	for _, f := range examples(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if m, err := manifest.Load(f, data); err == nil {
			out[f] = m
		}
	}
	return out
}

// stagesByPath indexes a manifest's stages by their manifest path, as ops
// carry it (StageKey).
func stagesByPath(m *manifest.Manifest) map[string]*manifest.Stage {
	out := map[string]*manifest.Stage{}
	for _, pl := range m.Pipelines {
		for _, st := range pl.Stages {
			out[st.Path.String()] = st
		}
	}
	return out
}

func TestExportsSelectPipelines(t *testing.T) {
	m := load(t, "../manifest/testdata/osbuild-docs/doc-5.json")
	_, _, all := compile(t, m, Options{})
	_, _, files := compile(t, m, Options{Exports: []string{"files"}})
	if len(byName(all, "[archive] org.osbuild.tar")) != 1 {
		t.Error("the default export (archive) does not build the tar stage")
	}
	if len(byName(files, "[archive] org.osbuild.tar")) != 0 {
		t.Error("exporting files builds the archive pipeline too")
	}
	if _, err := Compile(context.Background(), m, Options{Helper: testHelper(), Exports: []string{"nope"}}); err == nil || !strings.Contains(err.Error(), "pipelines: files, archive") {
		t.Errorf("unknown export: %v", err)
	}
	_, _, both := compile(t, m, Options{Exports: []string{"files", "archive"}})
	if len(byName(both, "[export] archive, files")) != 1 {
		t.Error("two exports are not laid out by name")
	}
}

func TestNoCacheStage(t *testing.T) {
	m := load(t, "../manifest/testdata/osbuild-docs/doc-1.json")
	_, _, ops := compile(t, m, Options{NoCache: []string{"org.osbuild.chmod"}})
	for _, o := range ops {
		want := o.name() == "[tree] org.osbuild.chmod"
		if o.meta.IgnoreCache != want {
			t.Errorf("%s: IgnoreCache %v, want %v", o.name(), o.meta.IgnoreCache, want)
		}
	}
	id := m.Pipeline("tree").Stages[0].ID[:12]
	_, _, ops = compile(t, m, Options{NoCache: []string{id}})
	if got := byName(ops, "[tree] org.osbuild.truncate"); len(got) != 1 || !got[0].meta.IgnoreCache {
		t.Error("--no-cache-stage by ID prefix did not force the truncate stage")
	}
}

// A forced stage forces what is built on it: the stages after it and the
// pipelines that take its tree (here the assembler's base and disk
// steps), never what it is built on.
func TestNoCacheStageForcesWhatFollows(t *testing.T) {
	m := load(t, "../images/debian-bookworm-qcow2.json")
	_, _, ops := compile(t, m, Options{NoCache: []string{"org.osbuild.apt"}})
	var forced []string
	for _, o := range ops {
		if o.meta.IgnoreCache {
			forced = append(forced, o.name())
		}
	}
	sort.Strings(forced)
	want := []string{"[assembler] org.osbuild.qemu", "[assembler] org.osbuild.qemu (base filesystems)",
		"[os] org.osbuild.apt", "[os] org.osbuild.first-boot", "[os] org.osbuild.fstab", "[os] org.osbuild.grub2",
		"[os] org.osbuild.hostname", "[os] org.osbuild.machine-id", "[os] org.osbuild.users"}
	if strings.Join(forced, "\n") != strings.Join(want, "\n") {
		t.Errorf("forced:\n%s\nwant:\n%s", strings.Join(forced, "\n"), strings.Join(want, "\n"))
	}
}

func TestConflictingOutputs(t *testing.T) {
	doc := `{"version": "2", "pipelines": [{"name": "t", "stages": [{"type": "org.osbuild.mkdir", "options": {"paths": [{"path": "/x"}]}}]},
	{"name": "out", "stages": [
	  {"type": "org.osbuild.tar", "inputs": {"tree": {"type": "org.osbuild.tree", "origin": "org.osbuild.pipeline", "references": ["name:t"]}}, "options": {"filename": "a.tar"}},
	  {"type": "org.osbuild.tar", "inputs": {"tree": {"type": "org.osbuild.tree", "origin": "org.osbuild.pipeline", "references": ["name:t"]}}, "options": {"filename": "a.tar", "compression": "xz"}}]}]}`
	m, err := manifest.Load("m.json", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Compile(context.Background(), m, Options{Helper: testHelper()})
	if err == nil || !strings.Contains(err.Error(), `.pipelines[1].stages[1].options.filename (m.json:4:`) || !strings.Contains(err.Error(), `"a.tar" is also written by org.osbuild.tar (.pipelines[1].stages[0])`) {
		t.Errorf("got %v", err)
	}
}

// An inline source osbuildkit cannot decode is refused at its encoding, with
// the line, before anything runs.
func TestUnsupportedInlineEncodingIsLocated(t *testing.T) {
	data, err := os.ReadFile("../manifest/testdata/osbuild-docs/doc-3.json")
	if err != nil {
		t.Fatal(err)
	}
	doc := strings.Replace(string(data), `"encoding": "base64"`, `"encoding": "lzma+base64"`, 1)
	if doc == string(data) {
		t.Fatal("doc-3 has no base64 inline source")
	}
	m, err := manifest.Load("doc-3.json", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Compile(context.Background(), m, Options{Helper: testHelper()})
	var le *manifest.LocationError
	if !errors.As(err, &le) || !strings.HasSuffix(le.Path.String(), ".encoding") || le.Line == 0 || !strings.Contains(err.Error(), `encoding "lzma+base64" is not supported by osbuildkit; use base64`) {
		t.Errorf("got %v", err)
	}
}

// --break selects a stage as --no-cache-stage does and records where the
// shell goes: the exec of an exec stage, a shell for a stage of file
// operations; a selector that matches nothing names the stages there are.
func TestBreakSelectsTheStage(t *testing.T) {
	m := load(t, "../integration/testdata/debian-config.json")
	res, _, _ := compile(t, m, Options{Break: "org.osbuild.users"})
	if b := res.Break; b == nil || b.Stage != m.Pipelines[0].Stages[3] || !b.Exec {
		t.Fatalf("break %+v, want the users stage's exec", res.Break)
	}
	res, _, _ = compile(t, m, Options{Break: "org.osbuild.hostname"})
	if b := res.Break; b == nil || b.Stage.Type != "org.osbuild.hostname" || b.Exec {
		t.Fatalf("break %+v, want the hostname stage, as a shell", res.Break)
	}
	if res, _, _ = compile(t, m, Options{Break: m.Pipelines[0].Stages[5].ID[:12]}); res.Break == nil || res.Break.Stage != m.Pipelines[0].Stages[5] {
		t.Errorf("an ID prefix breaks at %+v, want stage 5", res.Break)
	}
	_, err := Compile(context.Background(), m, Options{Helper: testHelper(), Break: "org.osbuild.grub2"})
	if err == nil || !strings.Contains(err.Error(), `--break "org.osbuild.grub2" selects no stage of this build`) || !strings.Contains(err.Error(), "tree (org.osbuild.debootstrap, ") {
		t.Errorf("unknown stage: %v", err)
	}
}
