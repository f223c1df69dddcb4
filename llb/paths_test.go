package llb

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// No option leads a stage out of its tree, nor an output out of the
// output: what osbuild's schemas let through, the stages' plans refuse,
// located, before anything runs (and at run time paths resolve inside the
// tree). Relative paths are below the tree's root, as in osbuild.
func TestPathsCannotLeaveTheTree(t *testing.T) {
	tree := `"inputs": {"tree": {"type": "org.osbuild.tree", "origin": "org.osbuild.pipeline", "references": ["name:base"]}}`
	withBase := func(stage string) string {
		return `{"version": "2", "pipelines": [{"name": "base"}, {"name": "tree", "stages": [` + stage + `]}]}`
	}
	for _, tc := range []struct{ name, doc, path, msg string }{
		{"copy to ..", withBase(`{"type": "org.osbuild.copy", "options": {"paths": [{"from": "input://t/", "to": "tree:///../x"}]}, "inputs": {"t": {"type": "org.osbuild.tree", "origin": "org.osbuild.pipeline", "references": ["name:base"]}}}`),
			".pipelines[1].stages[0].options.paths[0].to", "leads out of the tree"},
		{"copy from ..", withBase(`{"type": "org.osbuild.copy", "options": {"paths": [{"from": "input://t/../../etc", "to": "tree:///x"}]}, "inputs": {"t": {"type": "org.osbuild.tree", "origin": "org.osbuild.pipeline", "references": ["name:base"]}}}`),
			".pipelines[1].stages[0].options.paths[0].from", "leads out of the tree"},
		{"mkdir ..", withBase(`{"type": "org.osbuild.mkdir", "options": {"paths": [{"path": "tree:///../etc"}]}}`), ".pipelines[1].stages[0].options.paths[0].path", "leads out of the tree"},
		{"ln ..", withBase(`{"type": "org.osbuild.ln", "options": {"paths": [{"target": "/etc/shadow", "link_name": "tree:///../x", "symbolic": true}]}}`), ".pipelines[1].stages[0].options.paths[0].link_name", "leads out of the tree"},
		{"truncate ..", withBase(`{"type": "org.osbuild.truncate", "options": {"filename": "/../../x", "size": "1G"}}`), ".pipelines[1].stages[0].options.filename", "leads out of the tree"},
		{"qemu in a directory", withBase(`{"type": "org.osbuild.qemu", "options": {"filename": "a/b.qcow2", "format": {"type": "qcow2"}}, "inputs": {"image": {"type": "org.osbuild.files", "origin": "org.osbuild.pipeline", "references": {"name:base": {"file": "disk.raw"}}}}}`), ".pipelines[1].stages[0].options.filename", "without '/'"},
		{"oci-archive ..", withBase(`{"type": "org.osbuild.oci-archive", "options": {"filename": "..", "architecture": "amd64"}, "inputs": {"base": {"type": "org.osbuild.tree", "origin": "org.osbuild.pipeline", "references": ["name:base"]}}}`), ".pipelines[1].stages[0].options.filename", "is not a file name"},
		{"tar .", withBase(`{"type": "org.osbuild.tar", "options": {"filename": "."}, ` + tree + `}`), ".pipelines[1].stages[0].options.filename", "is not a file name"},
		{"v1 assembler in a directory", `{"pipeline": {"assembler": {"name": "org.osbuild.qemu", "options": {"format": "qcow2", "filename": "a/x.qcow2", "size": 1073741824, "ptuuid": "0x14fc63d2", "root_fs_uuid": "6e4ff95f-f662-45ee-a82a-bdf44a2d0b75"}}}}`, ".pipeline.assembler.options.filename", "without '/'"},
	} {
		m, err := manifest.Load("m.json", []byte(tc.doc))
		if err != nil {
			t.Errorf("%s: osbuild's schemas accept it, ours: %v", tc.name, err)
			continue
		}
		_, err = Compile(context.Background(), m, Options{Helper: testHelper(), Exports: m.Names()})
		var le *manifest.LocationError
		if !errors.As(err, &le) || le.Path.String() != tc.path || le.Line == 0 || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: got %v, want %s: …%s…", tc.name, err, tc.path, tc.msg)
		}
	}
}
