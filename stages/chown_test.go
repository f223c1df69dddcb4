package stages

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestChownResolvesNamesInTree(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("chown needs root")
	}
	rt, _ := runtimeFor(t, "org.osbuild.chown", map[string]any{"items": map[string]any{"/f": map[string]any{"user": "builder", "group": 4242}}})
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(rt.Tree, "etc"), 0o755))
	must(os.WriteFile(filepath.Join(rt.Tree, "etc/passwd"), []byte("root:x:0:0::/root:/bin/sh\nbuilder:x:1234:1234::/home/b:/bin/sh\n"), 0o644))
	must(os.WriteFile(filepath.Join(rt.Tree, "f"), nil, 0o644))
	must(run(t, rt))
	fi, _ := os.Stat(filepath.Join(rt.Tree, "f"))
	if uid, gid := statOwner(fi); uid != 1234 || gid != 4242 {
		t.Errorf("owner %d:%d, want 1234:4242", uid, gid)
	}
	rt.Options = json.RawMessage(`{"items": {"/f": {"user": "nobody-here"}}}`)
	if err := run(t, rt); err == nil || !strings.Contains(err.Error(), `"nobody-here" is not in the tree's /etc/passwd`) {
		t.Errorf("unknown user: %v", err)
	}
}
