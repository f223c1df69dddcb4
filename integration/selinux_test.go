//go:build integration

package integration

import (
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// A Debian tree labelled with the policy Debian's selinux-policy-default
// installs: the labels setfiles gave are in the exported tree and in the
// tar of it, the single label is set, the excluded directory has none;
// without security.insecure.
func TestSelinuxLabelsDebianTree(t *testing.T) {
	manifest := manifestFile(t, "integration/testdata/selinux.json")
	out := t.TempDir()
	run(t, 0, cli, "build", "--progress", "plain", "--output-directory", out,
		"--export", "tree", "--export", "image", manifest)
	tree := filepath.Join(out, "tree")
	label := func(p string) string {
		buf := make([]byte, 256)
		n, err := unix.Lgetxattr(filepath.Join(tree, p), "security.selinux", buf)
		if err != nil {
			return "(" + err.Error() + ")"
		}
		return strings.TrimRight(string(buf[:n]), "\x00")
	}
	want := map[string]string{
		"etc/passwd": "system_u:object_r:etc_t:s0",
		"usr/bin/ls": "system_u:object_r:bin_t:s0",
		"usr/bin/cp": "system_u:object_r:install_exec_t:s0",
		"etc/shadow": "system_u:object_r:shadow_t:s0",
	}
	for p, w := range want {
		if got := label(p); got != w {
			t.Errorf("tree %s: label %q, want %q", p, got, w)
		}
	}
	if got := label("var/log"); !strings.HasPrefix(got, "(") {
		t.Errorf("excluded /var/log has label %q", got)
	}
	entries := tarEntries(t, filepath.Join(out, "image", "tree.tar"))
	for p, w := range want {
		h, ok := entries[p]
		if !ok {
			h = entries["./"+p]
		}
		if h == nil {
			t.Errorf("tree.tar lacks %s", p)
			continue
		}
		if got := strings.TrimRight(h.PAXRecords["SCHILY.xattr.security.selinux"], "\x00"); got != w {
			t.Errorf("tree.tar %s: label %q, want %q", p, got, w)
		}
	}
}
