package manifest

import (
	"errors"
	"strings"
	"testing"
)

func wantProblem(t *testing.T, name, doc, path, msg string) {
	t.Helper()
	_, err := Load("m.json", []byte(doc))
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Errorf("%s: Load returned %v, want a *ValidationError", name, err)
		return
	}
	for _, le := range ve.Errors {
		if le.Path.String() == path && strings.Contains(le.Err.Error(), msg) {
			if le.Line == 0 {
				t.Errorf("%s: problem at %s has no line", name, path)
			}
			return
		}
	}
	t.Errorf("%s: no problem at %s containing %q in:\n%v", name, path, msg, err)
}

func v2(stages string) string {
	return `{"version": "2", "pipelines": [{"name": "tree", "stages": [` + stages + `]}]}`
}

func TestLoadRejects(t *testing.T) {
	for _, tc := range []struct{ name, doc, path, msg string }{
		{"malformed", `{"version": "2", "pipelines": [}`, ".", "invalid JSON"},
		{"truncated", `{"version": "2"`, ".", "unexpected end of input"},
		{"trailing data", `{"version": "2", "pipelines": []} {}`, ".", "unexpected data after"},
		{"empty", "  \n", ".", "the manifest is empty"},
		{"not utf-8", "{\"version\": \"2\xff\"}", ".", "not valid UTF-8"},
		{"not an object", `[1]`, ".", "is not of type 'object'"},
		{"bad version", `{"version": "3"}`, ".version", "is not one of ['1', '2']"},
		{"unknown top-level key", `{"version": "2", "pipelines": [], "pipelinez": 1}`, ".pipelinez", "'pipelinez' was unexpected"},
		{"required option", v2(`{"type": "org.osbuild.truncate", "options": {"filename": "/f"}}`), ".pipelines[0].stages[0].options", "'size' is a required property"},
		{"required option, no options", v2(`{"type": "org.osbuild.truncate"}`), ".pipelines[0].stages[0].options", "'filename' is a required property"},
		{"wrong type", v2(`{"type": "org.osbuild.truncate", "options": {"filename": 3, "size": "1G"}}`), ".pipelines[0].stages[0].options.filename", "3 is not of type 'string'"},
		{"unknown option", v2(`{"type": "org.osbuild.apt", "options": {"packages": ["a"], "install_recomends": true}}`), ".pipelines[0].stages[0].options.install_recomends", "did you mean 'install_recommends'"},
		{"unknown stage", v2(`{"type": "org.osbuild.frobnicate"}`), ".pipelines[0].stages[0].type", "could not find schema information for 'org.osbuild.frobnicate'"},
		{"unknown stage suggestion", v2(`{"type": "org.osbuild.mkdri"}`), ".pipelines[0].stages[0].type", "did you mean 'org.osbuild.mkdir'"},
		{"type and name", v2(`{"type": "org.osbuild.noop", "name": "org.osbuild.noop"}`), ".pipelines[0].stages[0]", "not both"},
		{"no type", v2(`{"options": {}}`), ".pipelines[0].stages[0]", "'type' is a required property"},
		{"size not a string", v2(`{"type": "org.osbuild.truncate", "options": {"filename": "/f", "size": 10}}`), ".pipelines[0].stages[0].options.size", `10 is not of type 'string'`},
		{"root-node with paths", v2(`{"type": "org.osbuild.tar", "options": {"filename": "a.tar", "root-node": "omit", "paths": ["etc"]}, "inputs": {"tree": {"type": "org.osbuild.tree", "origin": "org.osbuild.pipeline", "references": ["name:tree"]}}}`), ".pipelines[0].stages[0].options", "is not valid under any of the given schemas"},
		{"bad enum", v2(`{"type": "org.osbuild.machine-id", "options": {"first-boot": "maybe"}}`), ".pipelines[0].stages[0].options.first-boot", "'maybe' is not one of ['yes', 'no', 'preserve']"},
		{"unknown build", `{"version": "2", "pipelines": [{"name": "a", "build": "name:nope"}]}`, ".pipelines[0].build", "unknown pipeline 'name:nope'"},
		{"own build", `{"version": "2", "pipelines": [{"name": "a", "build": "name:a"}]}`, ".pipelines[0].build", "its own build pipeline"},
		{"duplicate name", `{"version": "2", "pipelines": [{"name": "a"}, {"name": "a"}]}`, ".pipelines[1].name", "duplicate pipeline name 'a'"},
		{"cycle", `{"version": "2", "pipelines": [{"name": "a", "build": "name:b"}, {"name": "b", "build": "name:a"}]}`, ".pipelines[0]", "pipelines form a cycle: a → b → a"},
		{"unknown input pipeline", v2(`{"type": "org.osbuild.copy", "options": {"paths": [{"from": "input://t/", "to": "tree:///"}]}, "inputs": {"t": {"type": "org.osbuild.tree", "origin": "org.osbuild.pipeline", "references": ["name:elsewhere"]}}}`), ".pipelines[0].stages[0].inputs.t.references", "unknown pipeline 'name:elsewhere'"},
		{"pipeline ref form", v2(`{"type": "org.osbuild.copy", "options": {"paths": [{"from": "input://t/", "to": "tree:///"}]}, "inputs": {"t": {"type": "org.osbuild.tree", "origin": "org.osbuild.pipeline", "references": ["tree"]}}}`), ".pipelines[0].stages[0].inputs.t.references", "written 'name:PIPELINE'"},
		{"unknown source item", v2(`{"type": "org.osbuild.copy", "options": {"paths": [{"from": "input://f/sha256:aa", "to": "tree:///f"}]}, "inputs": {"f": {"type": "org.osbuild.files", "origin": "org.osbuild.source", "references": ["sha256:aa"]}}}`), ".pipelines[0].stages[0].inputs.f.references", "unknown source item 'sha256:aa'"},
		{"export as a name", `{"version": "2", "pipelines": [{"name": "a"}], "metadata": {"exports": ["a"]}}`, ".metadata.exports[0]", "'a' is not of type 'object'"},
		{"mount without device", v2(`{"type": "org.osbuild.copy", "options": {"paths": [{"from": "tree:///a", "to": "mount://m/"}]}, "mounts": [{"name": "m", "type": "org.osbuild.ext4", "source": "disk", "target": "/"}]}`), ".pipelines[0].stages[0].mounts[0].source", "unknown device 'disk'"},
		{"inline checksum", `{"version": "2", "pipelines": [{"name": "a"}], "sources": {"org.osbuild.inline": {"items": {"sha256:0000000000000000000000000000000000000000000000000000000000000000": {"encoding": "base64", "data": "aGk="}}}}}`, ".sources.org.osbuild.inline.items.sha256:0000000000000000000000000000000000000000000000000000000000000000", "checksum is sha256:8f434346"},
		{"unknown source type", `{"version": "2", "pipelines": [{"name": "a"}], "sources": {"org.osbuild.carl": {"items": {}}}}`, ".sources.org.osbuild.carl", "did you mean 'org.osbuild.curl'"},
		{"osbuild stage we lack", v2(`{"type": "org.osbuild.ostree.deploy"}`), ".pipelines[0].stages[0].type", "an osbuild stage that osbuildkit does not implement"},
		{"v1 unknown stage", `{"pipeline": {"stages": [{"name": "org.osbuild.nope"}]}}`, ".pipeline.stages[0].name", "could not find schema information for 'org.osbuild.nope'"},
		{"v1 bad assembler option", `{"pipeline": {"assembler": {"name": "org.osbuild.tar", "options": {}}}}`, ".pipeline.assembler.options", "'filename' is a required property"},
		{"seed assembler name clash", `{"version": "2", "pipelines": [{"name": "assembler"}], "assembler": {"name": "org.osbuild.noop"}}`, ".assembler.name", "duplicate pipeline name 'assembler'"},
	} {
		wantProblem(t, tc.name, tc.doc, tc.path, tc.msg)
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	_, err := Load("m.json", []byte(v2(`{"type": "org.osbuild.truncate"}, {"type": "org.osbuild.hostname", "options": {"hostname": 1}}`)))
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Errors) != 3 {
		t.Fatalf("want 3 problems (filename, size, hostname), got %v", err)
	}
	text := ve.Error()
	for _, want := range []string{"m.json has errors:\n\n.pipelines[0].stages[0].options (line 1, column ", "  'filename' is a required property\n", ".pipelines[0].stages[1].options.hostname"} {
		if !strings.Contains(text, want) {
			t.Errorf("message lacks %q:\n%s", want, text)
		}
	}
	res := ve.Result()
	if res.Success || res.Type != "https://osbuild.org/validation-error" || len(res.Errors) != 3 {
		t.Errorf("bad result %+v", res)
	}
	if got := res.Errors[2].Path; len(got) != 6 || got[5] != "hostname" || got[1] != 0 {
		t.Errorf("result path %v", got)
	}
}

func TestPositions(t *testing.T) {
	doc := "{\n  \"version\": \"2\",\n  \"pipelines\": [\n    {\"name\": \"t\", \"stages\": [\n      {\"type\": \"org.osbuild.truncate\",\n       \"options\": {\"filename\": \"/f\", \"size\": 1024}}]}]}"
	_, err := Load("m.json", []byte(doc))
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Errors) != 1 {
		t.Fatalf("want one problem, got %v", err)
	}
	if le := ve.Errors[0]; le.Line != 6 || le.Column != 46 {
		t.Errorf("position %d:%d, want 6:46", le.Line, le.Column)
	}
}

func TestDialects(t *testing.T) {
	seed := mustLoad(t, "../images/user-basic-tar.json")
	if seed.Dialect != Seed {
		t.Errorf("dialect %s, want %s", seed.Dialect, Seed)
	}
	if got := seed.Pipelines[0].Stages[0].Type; got != "org.osbuild.debootstrap" {
		t.Errorf("alias not resolved: %s", got)
	}
	asm := seed.Pipeline("assembler")
	if asm == nil || len(asm.Stages) != 1 || asm.Stages[0].Kind != KindAssembler || asm.Stages[0].Type != "org.osbuild.tar" {
		t.Fatalf("assembler pipeline %+v", asm)
	}
	if ref := asm.Stages[0].Input("tree").References[0].ID; ref != "name:build" {
		t.Errorf("assembler input %s, want name:build", ref)
	}
	if len(seed.Exports) != 1 || seed.Exports[0] != "assembler" {
		t.Errorf("exports %v", seed.Exports)
	}
	if asm.SourceEpoch != nil {
		t.Errorf("source-epoch %d without one in the manifest", *asm.SourceEpoch)
	}
	// The assembler's image takes the tree's source-epoch.
	epoch, err := Load("seed.json", []byte(`{"version": "2", "pipelines": [{"name": "build", "source-epoch": 1700000000, "stages": [{"name": "org.osbuild.noop"}]}], "assembler": {"name": "org.osbuild.noop"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if e := epoch.Pipeline("assembler").SourceEpoch; e == nil || *e != 1700000000 {
		t.Errorf("the assembler's source-epoch is %v, want the tree's", e)
	}

	v1doc := `{"pipeline": {"build": {"pipeline": {"build": {"pipeline": {"stages": [{"name": "org.osbuild.noop"}]}, "runner": "org.osbuild.linux"},
	  "stages": [{"name": "org.osbuild.noop", "options": {"x": 1}}]}, "runner": "org.osbuild.debian12"},
	  "stages": [{"name": "org.osbuild.hostname", "options": {"hostname": "h"}}],
	  "assembler": {"name": "org.osbuild.tar", "options": {"filename": "t.tar"}}},
	  "sources": {"org.osbuild.files": {"urls": {"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa": "http://x/y"}}}}`
	m, err := Load("v1.json", []byte(v1doc))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, pl := range m.Pipelines {
		names = append(names, pl.Name+"<"+pl.Build)
	}
	if got := strings.Join(names, " "); got != "build-build< build<build-build tree<build assembler<build" {
		t.Errorf("v1 pipelines %q", got)
	}
	if m.Pipeline("tree").Runner != "org.osbuild.debian12" {
		t.Errorf("runner %q", m.Pipeline("tree").Runner)
	}
	if m.Sources.Curl["sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"].URL != "http://x/y" {
		t.Errorf("v1 files source not converted: %+v", m.Sources)
	}
	if m.Exports[0] != "assembler" {
		t.Errorf("v1 exports %v", m.Exports)
	}
}

func TestReferenceForms(t *testing.T) {
	doc := func(refs string) string {
		return `{"version": "2", "pipelines": [{"name": "a", "stages": [{"type": "org.osbuild.noop"}]}, {"name": "b", "stages": [{"type": "org.osbuild.copy",
		"options": {"paths": [{"from": "input://t/", "to": "tree:///"}]},
		"inputs": {"t": {"type": "org.osbuild.tree", "origin": "org.osbuild.pipeline", "references": ` + refs + `}}}]}]}`
	}
	var ids []string
	for _, refs := range []string{`["name:a"]`, `[{"id": "name:a"}]`, `{"name:a": {}}`} {
		m, err := Load("m.json", []byte(doc(refs)))
		if err != nil {
			t.Fatalf("%s: %v", refs, err)
		}
		ids = append(ids, m.Pipeline("b").ID)
	}
	if ids[0] != ids[1] || ids[1] != ids[2] {
		t.Errorf("the three reference forms give different IDs: %v", ids)
	}
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{{"4096", 4096}, {"10G", 10 << 30}, {"1GiB", 1 << 30}, {"512M", 512 << 20}, {"1GB", 1e9}, {"2 KiB", 2048}, {"0", 0}} {
		got, err := ParseSize(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "G", "-1", "1.5G", "10X", "99999999999999999999", "9999999999P"} {
		if _, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) succeeded", bad)
		}
	}
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"10G", "1GiB", "12", "9223372036854775807", "8E"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err == nil && n < 0 {
			t.Fatalf("ParseSize(%q) = %d", s, n)
		}
	})
}
