package localbuild

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/osbuildkit/osbuildkit/manifest"
	"github.com/osbuildkit/osbuildkit/stages"
)

const unlocked = `{
  "version": "2",
  "pipelines": [
    {
      "name": "tree",
      "stages": [
        {"type": "org.osbuild.debootstrap", "options": {"suite": "bookworm"}},
        {"type": "org.osbuild.apt", "options": {"packages": ["less"]}},
        {"type": "org.osbuild.copy", "inputs": {"file": {"type": "org.osbuild.files", "origin": "org.osbuild.source", "references": ["sha256:` + kept + `"]}}, "options": {"paths": [{"from": "input://file/sha256:` + kept + `", "to": "tree:///x"}]}}
      ]
    }
  ],
  "sources": {"org.osbuild.curl": {"items": {"sha256:` + kept + `": "http://example.org/x"}}}
}`

const kept = "0000000000000000000000000000000000000000000000000000000000000000"

func sum(c string) string { return strings.Repeat(c, 64) }

// Locking adds the packages input and the sources and keeps the rest of
// the document as written, key order included; locking again replaces
// the packages, dropping the sources only they used.
func TestLockDocument(t *testing.T) {
	doc, err := parseLockDoc([]byte(unlocked))
	if err != nil {
		t.Fatal(err)
	}
	apt := manifest.Path{"pipelines", 0, "stages", 1}
	old := []stages.LockedPackage{
		{Package: "less", Version: "590-2", Architecture: "amd64", URL: "http://m/less_590-2_amd64.deb", SHA256: sum("a"), Priority: "important"},
		{Package: "libc6", Version: "2.36", Architecture: "amd64", URL: "http://m/libc6.deb", SHA256: sum("b")},
	}
	if err := doc.lock(apt, old); err != nil {
		t.Fatal(err)
	}
	out, err := doc.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Load("locked.json", out)
	if err != nil {
		t.Fatalf("the locked manifest does not load: %v\n%s", err, out)
	}
	in := m.Pipelines[0].Stages[1].Input("packages")
	if in == nil || in.Type != "org.osbuild.files" || len(in.References) != 2 || in.References[0].ID != "sha256:"+sum("a") {
		t.Fatalf("packages input: %+v", in)
	}
	if item := m.Sources.Curl["sha256:"+sum("b")]; item.URL != "http://m/libc6.deb" {
		t.Errorf("libc6's source: %+v", item)
	}
	if got := doc.lockedPackages(apt); len(got) != 2 || got[0].Package != "less" || got[0].Version != "590-2" || got[1].SHA256 != sum("b") {
		t.Errorf("lockedPackages: %+v", got)
	}
	s := string(out)
	if i, j, k := strings.Index(s, `"version"`), strings.Index(s, `"pipelines"`), strings.Index(s, `"sources"`); !(i < j && j < k) {
		t.Errorf("the keys were reordered:\n%s", s)
	}
	if !strings.Contains(s, `"deb.priority": "important"`) || strings.Count(s, "deb.priority") != 1 {
		t.Errorf("the priority metadata is not as recorded:\n%s", s)
	}

}

// Locked again with libc6 moved: its old file goes, the copy stage's
// stays.
func TestLockAgainDropsReplacedSources(t *testing.T) {
	doc, _ := parseLockDoc([]byte(unlocked))
	apt := manifest.Path{"pipelines", 0, "stages", 1}
	old := []stages.LockedPackage{
		{Package: "less", Version: "590-2", Architecture: "amd64", URL: "http://m/less.deb", SHA256: sum("a")},
		{Package: "libc6", Version: "2.36", Architecture: "amd64", URL: "http://m/libc6.deb", SHA256: sum("b")},
	}
	if err := doc.lock(apt, old); err != nil {
		t.Fatal(err)
	}
	if err := doc.lock(apt, []stages.LockedPackage{old[0], {Package: "libc6", Version: "2.37", Architecture: "amd64", URL: "http://m/libc6_2.37.deb", SHA256: sum("c")}}); err != nil {
		t.Fatal(err)
	}
	out, _ := doc.Bytes()
	var got struct {
		Sources struct {
			Curl struct {
				Items map[string]json.RawMessage `json:"items"`
			} `json:"org.osbuild.curl"`
		} `json:"sources"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	items := got.Sources.Curl.Items
	if _, ok := items["sha256:"+sum("b")]; ok || len(items) != 3 {
		t.Errorf("sources after locking again: %v", items)
	}
	if _, ok := items["sha256:"+kept]; !ok {
		t.Errorf("the copy stage's source was dropped: %v", items)
	}
}

// Unlocking removes the input the lock added, and an inputs object left
// empty.
func TestUnlockRemovesTheInput(t *testing.T) {
	doc, _ := parseLockDoc([]byte(unlocked))
	apt := manifest.Path{"pipelines", 0, "stages", 1}
	doc.lock(apt, []stages.LockedPackage{{Package: "less", Version: "1", Architecture: "all", URL: "u", SHA256: sum("d")}})
	if err := doc.unlock(apt); err != nil {
		t.Fatal(err)
	}
	out, _ := doc.Bytes()
	if strings.Contains(string(out), `"inputs": {}`) || strings.Contains(string(out), sum("d")) {
		t.Errorf("unlocked:\n%s", out)
	}
	if _, err := doc.stage(manifest.Path{"pipelines", 0, "stages", 7}); err == nil {
		t.Error("a stage that does not exist was found")
	}
}
