package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// osbuildkit sbom: a tree without a dpkg database gives a valid document
// of the tree alone and says so; usage mistakes and what cannot be read
// are bad input (exit 2).
func TestSBOMCommand(t *testing.T) {
	dir := t.TempDir()
	var out, errs bytes.Buffer
	if code := Main([]string{"sbom", dir}, nil, &out, &errs); code != exitOK || !strings.Contains(errs.String(), "has no dpkg database") {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	var doc struct {
		SPDXVersion string `json:"spdxVersion"`
		Packages    []struct {
			Name string `json:"name"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil || doc.SPDXVersion != "SPDX-2.3" || len(doc.Packages) != 1 || doc.Packages[0].Name != filepath.Base(dir) {
		t.Errorf("%v: %s", err, out.String())
	}
	file := filepath.Join(dir, "doc.json")
	if code := Main([]string{"sbom", "-o", file, dir}, nil, &out, &errs); code != exitOK {
		t.Errorf("-o: exit %d", code)
	} else if data, err := os.ReadFile(file); err != nil || !bytes.Contains(data, []byte(`"SPDX-2.3"`)) {
		t.Errorf("-o wrote %q (%v)", data, err)
	}
	for _, args := range [][]string{{"sbom"}, {"sbom", "a", "b"}, {"sbom", filepath.Join(dir, "missing")}} {
		errs.Reset()
		if code := Main(args, nil, &out, &errs); code != exitInvalid || strings.Contains(errs.String(), "goroutine") {
			t.Errorf("%v: exit %d: %s", args, code, errs.String())
		}
	}
}
