package manifest

import "testing"

// No option can point a stage outside its tree or an export outside the
// output directory: '..', relative paths where absolute ones are required,
// and file names with directories are all rejected at validation, naming
// the option. (At run time, paths resolve inside the tree; see
// stages.SecureJoin.)
func TestPathsCannotLeaveTheTree(t *testing.T) {
	tree := `"inputs": {"tree": {"type": "org.osbuild.tree", "origin": "org.osbuild.pipeline", "references": ["name:base"]}}`
	withBase := func(stage string) string {
		return `{"version": "2", "pipelines": [{"name": "base"}, {"name": "tree", "stages": [` + stage + `]}]}`
	}
	for _, tc := range []struct{ name, doc, path, msg string }{
		{"copy to ..", withBase(`{"type": "org.osbuild.copy", "options": {"paths": [{"from": "input://t/", "to": "tree:///../x"}]}, "inputs": {"t": {"type": "org.osbuild.tree", "origin": "org.osbuild.pipeline", "references": ["name:base"]}}}`),
			".pipelines[1].stages[0].options.paths[0].to", ".."},
		{"copy from ..", withBase(`{"type": "org.osbuild.copy", "options": {"paths": [{"from": "input://t/../../etc", "to": "tree:///x"}]}, "inputs": {"t": {"type": "org.osbuild.tree", "origin": "org.osbuild.pipeline", "references": ["name:base"]}}}`),
			".pipelines[1].stages[0].options.paths[0].from", ".."},
		{"chmod ..", v2(`{"type": "org.osbuild.chmod", "options": {"items": {"../etc/shadow": {"mode": "0777"}}}}`), ".pipelines[0].stages[0].options.items.../etc/shadow", "not an absolute path"},
		{"chown relative", v2(`{"type": "org.osbuild.chown", "options": {"items": {"etc/shadow": {"user": 0}}}}`), ".pipelines[0].stages[0].options.items.etc/shadow", "not an absolute path"},
		{"users home relative", v2(`{"type": "org.osbuild.users", "options": {"users": {"u": {"home": "../root"}}}}`), ".pipelines[0].stages[0].options.users.u.home", "not an absolute path"},
		{"users home ..", v2(`{"type": "org.osbuild.users", "options": {"users": {"u": {"home": "/home/../../x"}}}}`), ".pipelines[0].stages[0].options.users.u.home", "must not contain '..'"},
		{"mkdir relative", v2(`{"type": "org.osbuild.mkdir", "options": {"paths": [{"path": "etc"}]}}`), ".pipelines[0].stages[0].options.paths[0].path", "not an absolute path"},
		{"ln link ..", v2(`{"type": "org.osbuild.ln", "options": {"paths": [{"target": "/etc/shadow", "link_name": "../x"}]}}`), ".pipelines[0].stages[0].options.paths[0].link_name", "not an absolute path"},
		{"truncate ..", v2(`{"type": "org.osbuild.truncate", "options": {"filename": "/../../x", "size": "1G"}}`), ".pipelines[0].stages[0].options.filename", "must not contain '..'"},
		{"image filename with dir", withBase(`{"type": "org.osbuild.image", "options": {"filename": "a/b.qcow2", "size": "1G", "partitions": []}, ` + tree + `}`), ".pipelines[1].stages[0].options.filename", "without '/'"},
		{"oci-archive ..", withBase(`{"type": "org.osbuild.oci-archive", "options": {"filename": "..", "architecture": "amd64"}, "inputs": {"base": {"type": "org.osbuild.tree", "origin": "org.osbuild.pipeline", "references": ["name:base"]}}}`), ".pipelines[1].stages[0].options.filename", "is not a file name"},
		{"tar .", withBase(`{"type": "org.osbuild.tar", "options": {"filename": "."}, ` + tree + `}`), ".pipelines[1].stages[0].options.filename", "is not a file name"},
		{"v1 assembler absolute", `{"pipeline": {"assembler": {"name": "org.osbuild.qemu", "options": {"format": "qcow2", "filename": "/tmp/x.qcow2", "size": 1073741824}}}}`, ".pipeline.assembler.options.filename", "without '/'"},
		{"tmpfiles.d file ..", v2(`{"type": "org.osbuild.tmpfilesd", "options": {"filename": "../x.conf", "config": [{"type": "d", "path": "/x"}]}}`), ".pipelines[0].stages[0].options.filename", ""},
	} {
		wantProblem(t, tc.name, tc.doc, tc.path, tc.msg)
	}
}
