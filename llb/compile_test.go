package llb

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"

	_ "github.com/osbuildkit/osbuildkit/assemblers" // the v1 examples' assemblers
	"github.com/osbuildkit/osbuildkit/manifest"
	"github.com/osbuildkit/osbuildkit/stages"
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

func TestFileStagesAreFileOps(t *testing.T) {
	_, _, ops := compile(t, load(t, "../manifest/testdata/osbuild-docs/doc-3.json"), Options{})
	for _, name := range []string{"[res] org.osbuild.mkdir", "[res] org.osbuild.copy"} {
		got := byName(ops, name)
		if len(got) != 1 || got[0].pb.GetFile() == nil {
			t.Errorf("%s: want one FileOp, got %d ops", name, len(got))
		}
	}
	curl := byName(ops, "[sources] org.osbuild.curl http://localhost:8080/curl-source-file.txt")
	if len(curl) != 1 {
		t.Fatalf("want one curl source op, got %d", len(curl))
	}
	src := curl[0].pb.GetSource()
	if src.GetIdentifier() != "http://localhost:8080/curl-source-file.txt" ||
		src.GetAttrs()["http.checksum"] != "sha256:29ddbe330656a28c0cd1f77332464b74146b32765bc9194112fdc0ffdade8727" ||
		src.GetAttrs()["http.filename"] != "sha256:29ddbe330656a28c0cd1f77332464b74146b32765bc9194112fdc0ffdade8727" {
		t.Errorf("curl source %v", src)
	}
}

func TestExecStageShape(t *testing.T) {
	_, _, ops := compile(t, load(t, "../manifest/testdata/osbuild-docs/doc-1.json"), Options{})
	got := byName(ops, "[tree] org.osbuild.truncate")
	if len(got) != 1 || got[0].pb.GetExec() == nil {
		t.Fatalf("want one ExecOp for truncate, got %v", got)
	}
	ex := got[0].pb.GetExec()
	if args := ex.GetMeta().GetArgs(); !slices.Equal(args, []string{stages.HelperPath, "stage", "org.osbuild.truncate"}) {
		t.Errorf("args %v", args)
	}
	if ex.GetNetwork() != pb.NetMode_NONE {
		t.Errorf("truncate runs with network %v, want none", ex.GetNetwork())
	}
	if ex.GetSecurity() != pb.SecurityMode_SANDBOX {
		t.Errorf("truncate runs with security %v", ex.GetSecurity())
	}
	var dests []string
	for _, m := range ex.GetMounts() {
		dests = append(dests, m.GetDest())
	}
	for _, want := range []string{"/", HelperDir, TreeDir} {
		if !slices.Contains(dests, want) {
			t.Errorf("mounts %v lack %s", dests, want)
		}
	}
	var spec string
	for _, e := range ex.GetMeta().GetEnv() {
		if v, ok := strings.CutPrefix(e, stages.SpecEnv+"="); ok {
			spec = v
		}
	}
	if !strings.Contains(spec, `"options":{"filename":"/newfile","size":"1G"}`) || !strings.Contains(spec, `"tree":"/run/osbuild/tree"`) {
		t.Errorf("spec %s", spec)
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

// Only stages with devices or mounts (loop devices) request
// security.insecure, in the marshalled LLB of every example, and the
// compiler reports exactly those stages to the entitlement check.
func TestInsecureOnlyWhereDevicesAreUsed(t *testing.T) {
	privileged := 0
	for f, m := range loadedExamples(t) {
		needs := map[string]bool{}
		for path, st := range stagesByPath(m) {
			if len(st.Devices) > 0 || len(st.Mounts) > 0 {
				needs[path] = true
			}
		}
		res, _, ops := compile(t, m, Options{})
		for _, o := range ops {
			ex := o.pb.GetExec()
			if ex == nil {
				continue
			}
			path := o.meta.Description[StageKey]
			insecure := ex.GetSecurity() == pb.SecurityMode_INSECURE
			if insecure != needs[path] {
				t.Errorf("%s: %s (%s): security.insecure %v, stage uses devices or mounts %v", f, o.name(), path, insecure, needs[path])
			}
			if insecure {
				privileged++
			}
		}
		var reported []string
		for _, st := range res.Insecure {
			reported = append(reported, st.Path.String())
		}
		if len(reported) != len(needs) {
			t.Errorf("%s: entitlement check told of %v, want the %d stages with devices", f, reported, len(needs))
		}
		for _, p := range reported {
			if !needs[p] {
				t.Errorf("%s: %s reported as needing security.insecure", f, p)
			}
		}
	}
	if privileged == 0 {
		t.Error("no example has a privileged stage; the check above checked nothing")
	}
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

// Pipeline trees, whether a stage's own or a pipeline input, are mounted
// without content hashing (BuildKit would hash the whole tree to key each
// exec); source files and the helper (a selected directory) keep it.
func TestTreesAreNotContentHashed(t *testing.T) {
	trees, others := 0, 0
	for f, m := range loadedExamples(t) {
		byPath := stagesByPath(m)
		_, _, ops := compile(t, m, Options{})
		for _, o := range ops {
			ex := o.pb.GetExec()
			if ex == nil {
				continue
			}
			st := byPath[o.meta.Description[StageKey]]
			for _, mnt := range ex.GetMounts() {
				wantOff := false
				switch {
				case mnt.GetDest() == TreeDir:
					wantOff = true
					trees++
				case strings.HasPrefix(mnt.GetDest(), InputsDir+"/"):
					var in *manifest.Input
					if st != nil {
						in = st.Input(strings.TrimPrefix(mnt.GetDest(), InputsDir+"/"))
					}
					if in == nil {
						t.Fatalf("%s: %s mounts %s, not an input of its stage", f, o.name(), mnt.GetDest())
					}
					wantOff = in.Origin == manifest.OriginPipeline
					if wantOff {
						trees++
					} else {
						others++
					}
				case mnt.GetDest() == HelperDir:
					others++
				}
				if off := mnt.GetContentCache() == pb.MountContentCache_OFF; off != wantOff {
					t.Errorf("%s: %s mount %s: content hashing off %v, want %v", f, o.name(), mnt.GetDest(), off, wantOff)
				}
			}
		}
	}
	if trees == 0 || others == 0 {
		t.Errorf("checked %d tree and %d other mounts; the examples should have both", trees, others)
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
