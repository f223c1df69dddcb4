//go:build integration

package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A symlink in the tree pointing out of it (here at a path on the host
// that buildkitd could write to) is resolved inside the tree by every
// stage that follows it: mkdir, chmod, truncate and copy write into the
// tree, never onto the host.
func TestSymlinksOutOfTheTreeStayInside(t *testing.T) {
	escape := fmt.Sprintf("/tmp/osbuildkit-escape-%d", time.Now().UnixNano())
	t.Cleanup(func() { os.RemoveAll(escape) })
	manifest := manifestFile(t, "integration/testdata/failing-stage.json", func(string) string {
		return fmt.Sprintf(`{"version": "2", "sources": {"org.osbuild.inline": {"items": {
		  "sha256:f2ca1bb6c7e907d06dafe4687e579fce76b37e4e93b7605022da52e6ccc26fd2": {"encoding": "base64", "data": "dGVzdAo="}}}},
		 "pipelines": [{"name": "tree", "stages": [
		  {"type": "org.osbuild.ln", "options": {"paths": [{"target": %q, "link_name": "tree:///escape", "symbolic": true}]}},
		  {"type": "org.osbuild.mkdir", "options": {"paths": [{"path": "/escape/made", "parents": true}]}},
		  {"type": "org.osbuild.chmod", "options": {"items": {"/escape/made": {"mode": "0700"}}}},
		  {"type": "org.osbuild.truncate", "options": {"filename": "/escape/truncated", "size": "1"}},
		  {"type": "org.osbuild.copy", "inputs": {"f": {"type": "org.osbuild.files", "origin": "org.osbuild.source",
		    "references": {"sha256:f2ca1bb6c7e907d06dafe4687e579fce76b37e4e93b7605022da52e6ccc26fd2": {}}}},
		   "options": {"paths": [{"from": "input://f/sha256:f2ca1bb6c7e907d06dafe4687e579fce76b37e4e93b7605022da52e6ccc26fd2", "to": "tree:///escape/copied"}]}}
		 ]}]}`, escape)
	})
	out := t.TempDir()
	run(t, 0, cli, "build", "--progress", "plain", "--output-directory", out, manifest)
	if _, err := os.Lstat(escape); err == nil {
		t.Fatalf("%s was created on the host", escape)
	}
	tree := filepath.Join(out, "tree")
	checkFile(t, filepath.Join(tree, escape, "made"), nil, os.ModeDir|0o700, 0, 0)
	checkFile(t, filepath.Join(tree, escape, "truncated"), []byte{0}, 0o644, 0, 0)
	checkFile(t, filepath.Join(tree, escape, "copied"), []byte("test\n"), 0o644, 0, 0)
}
