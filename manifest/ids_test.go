package manifest

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestOsbuildDocIDs checks the stage IDs against those osbuild printed for
// the examples of its docs/manifest.md.
func TestOsbuildDocIDs(t *testing.T) {
	if checked := checkExpectedIDs(t, "testdata/osbuild-docs"); checked < 16 {
		t.Fatalf("checked only %d IDs", checked)
	}
}

// TestLockedManifestIDs checks the stage IDs of a locked manifest (as
// osbuildkit lock writes it) against osbuild's: the ID of a locked stage
// changes with a package, and only that stage's.
func TestLockedManifestIDs(t *testing.T) {
	if checked := checkExpectedIDs(t, "testdata/locked"); checked != 4 {
		t.Fatalf("checked %d IDs, want 4", checked)
	}
	small := mustLoad(t, "testdata/locked/small.json").Pipelines[0].Stages
	moved := mustLoad(t, "testdata/locked/moved.json").Pipelines[0].Stages
	if small[0].ID != moved[0].ID || small[1].ID == moved[1].ID {
		t.Errorf("one apt package moved: debootstrap %s → %s, apt %s → %s", small[0].ID, moved[0].ID, small[1].ID, moved[1].ID)
	}
}

// checkExpectedIDs compares the stage IDs of the manifests in dir with
// dir/expected-ids.txt (FILE PIPELINE INDEX ID, as osbuild printed them)
// and returns how many it checked.
func checkExpectedIDs(t *testing.T, dir string) int {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "expected-ids.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	checked := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 4 {
			t.Fatalf("bad line %q", line)
		}
		file, pipeline, want := fields[0], fields[1], fields[3]
		idx, _ := strconv.Atoi(fields[2])
		m := mustLoad(t, filepath.Join(dir, file))
		pl := m.Pipeline(pipeline)
		if pl == nil || idx >= len(pl.Stages) {
			t.Errorf("%s: no stage %s[%d]", file, pipeline, idx)
			continue
		}
		if got := pl.Stages[idx].ID; got != want {
			t.Errorf("%s %s[%d] (%s): id %s, want %s", file, pipeline, idx, pl.Stages[idx].Type, got, want)
		}
		checked++
	}
	return checked
}

func mustLoad(t testing.TB, path string) *Manifest {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Load(path, data)
	if err != nil {
		t.Fatalf("loading %s: %v", path, err)
	}
	return m
}

func TestIDsFollowContent(t *testing.T) {
	base := `{"version":"2","pipelines":[{"name":"a","stages":[
		{"type":"org.osbuild.mkdir","options":{"paths":[{"path":"/x"}]}},
		{"type":"org.osbuild.hostname","options":{"hostname":"%s"}}]},
		{"name":"b","build":"name:a","stages":[{"type":"org.osbuild.mkdir","options":{"paths":[{"path":"/y"}]}}]}]}`
	load := func(host string) *Manifest {
		m, err := Load("m.json", []byte(strings.Replace(base, "%s", host, 1)))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	one, two := load("one"), load("two")
	if one.Pipelines[0].Stages[0].ID != two.Pipelines[0].Stages[0].ID {
		t.Error("an unchanged first stage changed its ID")
	}
	if one.Pipelines[0].Stages[1].ID == two.Pipelines[0].Stages[1].ID {
		t.Error("changing a stage's options kept its ID")
	}
	// b's stage is identical but its build pipeline changed.
	if one.Pipelines[1].ID == two.Pipelines[1].ID {
		t.Error("changing the build pipeline kept the dependent pipeline's ID")
	}
}
