package manifest

import "testing"

// Paths load as osbuild's schemas take them: relative paths where its
// stages join them to the tree, names with directories; what the schemas
// refuse is refused, at the option. (Whether a path stays in the tree is
// the stages' plan's to check, and at run time paths resolve inside the
// tree: see llb's TestPathsCannotLeaveTheTree.)
func TestPathsAsOsbuildTakesThem(t *testing.T) {
	withBase := func(stage string) string {
		return `{"version": "2", "pipelines": [{"name": "base"}, {"name": "tree", "stages": [` + stage + `]}]}`
	}
	tree := `"inputs": {"tree": {"type": "org.osbuild.tree", "origin": "org.osbuild.pipeline", "references": ["name:base"]}}`
	for name, doc := range map[string]string{
		"truncate relative":  v2(`{"type": "org.osbuild.truncate", "options": {"filename": "disk.img", "size": "1G"}}`),
		"mkdir relative":     v2(`{"type": "org.osbuild.mkdir", "options": {"paths": [{"path": "etc/x"}]}}`),
		"users no home":      v2(`{"type": "org.osbuild.users", "options": {"users": {"foo.bar": {"home": ""}}}}`),
		"tar in a directory": withBase(`{"type": "org.osbuild.tar", "options": {"filename": "a/b.tar"}, ` + tree + `}`),
	} {
		if _, err := Load("m.json", []byte(doc)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, tc := range []struct{ name, doc, path, msg string }{
		{"chmod relative", v2(`{"type": "org.osbuild.chmod", "options": {"items": {"etc/shadow": {"mode": "0777"}}}}`), ".pipelines[0].stages[0].options.items[\"etc/shadow\"]", "does not match any of the regexes"},
		{"chown ..", v2(`{"type": "org.osbuild.chown", "options": {"items": {"/../etc": {"user": 0}}}}`), ".pipelines[0].stages[0].options.items[\"/../etc\"]", "does not match any of the regexes"},
		{"ln link without scheme", v2(`{"type": "org.osbuild.ln", "options": {"paths": [{"target": "/etc/shadow", "link_name": "/x"}]}}`), ".pipelines[0].stages[0].options.paths[0].link_name", "is not valid under any of the given schemas"},
	} {
		wantProblem(t, tc.name, tc.doc, tc.path, tc.msg)
	}
}
