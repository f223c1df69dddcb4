//go:build integration

package integration

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// stepOutput is a line a running step printed in plain progress
// ("#7 0.599 partition 1: …"); steps taken from a cache print none.
var stepOutput = regexp.MustCompile(`(?m)^#\d+ \d+\.\d+ .*$`)

// A second, empty builder given the registry cache (mode=max) of a disk
// build takes the disk from it and runs no step: not the disk step, not
// the base filesystems under it, not the tools they need. The boot checks
// the disk step made are still reported, read from the cache.
func TestSecondBuilderRunsNoStep(t *testing.T) {
	manifest := manifestFile(t, "integration/testdata/small-disk.json", func(s string) string {
		// A stage after the bulk one: the disk is a base step plus changes.
		return strings.Replace(s, `"variant": "minbase"}}`, `"variant": "minbase"}}, {"type": "org.osbuild.hostname", "options": {"hostname": "second-builder"}}`, 1)
	})
	cache := fmt.Sprintf("%s/osbuildkit-test/second-builder:%d", registry, time.Now().UnixNano())
	first := t.TempDir()
	run(t, 0, cli, "build", "--progress", "plain", "--export", "disk", "--cache-to", "type=registry,ref="+cache+",mode=max", "--output-directory", first, manifest)

	second := t.TempDir()
	log := run(t, 0, cli, "build", "--addr", isolatedBuildkitd(t, "127.0.0.1 localhost\n"), "--progress", "plain", "--export", "disk",
		"--cache-from", "type=registry,ref="+cache, "--output-directory", second, manifest)
	if ran := stepOutput.FindAllString(log, -1); len(ran) > 0 {
		t.Errorf("the second builder ran steps; their output:\n%s", strings.Join(ran, "\n"))
	}
	wantContains(t, "the second builder's log", log, "[disk] org.osbuild.image\n#", "CACHED",
		"osbuildkit: warning: [tree] stage 0 org.osbuild.debootstrap: .pipelines[0].stages[0].options (",
		"the tree has no /sbin/init", "the tree has no kernel in /boot")
	sameBytes(t, filepath.Join(first, "disk", "disk.qcow2"), filepath.Join(second, "disk", "disk.qcow2"))
}
