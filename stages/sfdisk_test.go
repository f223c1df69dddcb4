package stages

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The table sfdisk writes has osbuild's fields, a partition in its
// "partnum" slot and the attribute bits sfdisk knows.
func TestSfdiskWritesOsbuildsTable(t *testing.T) {
	rt, log := runtimeFor(t, "org.osbuild.sfdisk", map[string]any{"filename": "disk.img", "label": "gpt", "uuid": "d8a1e3b2-7c6f-4e5d-9a8b-1c2d3e4f5a6b",
		"partitions": []any{
			map[string]any{"start": 2048, "size": 4096, "type": "0FC63DAF-8483-4772-8E79-3D69D8477DE4", "name": "root", "partnum": 3, "attrs": []int{0, 2, 48, 30}},
		}})
	if err := exec.Command("truncate", "-s", "64M", filepath.Join(rt.Tree, "disk.img")).Run(); err != nil {
		t.Fatal(err)
	}
	if err := run(t, rt); err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	out, err := exec.Command("sfdisk", "--json", filepath.Join(rt.Tree, "disk.img")).Output()
	if err != nil {
		t.Fatal(err)
	}
	var table struct {
		PartitionTable struct {
			ID         string
			Partitions []struct{ Node, Name, Attrs string }
		}
	}
	if err := json.Unmarshal(out, &table); err != nil {
		t.Fatal(err)
	}
	pt := table.PartitionTable
	if !strings.EqualFold(pt.ID, "d8a1e3b2-7c6f-4e5d-9a8b-1c2d3e4f5a6b") || len(pt.Partitions) != 1 || !strings.HasSuffix(pt.Partitions[0].Node, "disk.img3") ||
		pt.Partitions[0].Name != "root" || pt.Partitions[0].Attrs != "RequiredPartition LegacyBIOSBootable GUID:48" {
		t.Errorf("table %s", out)
	}
}

// sgdisk quotes names by default, as osbuild does.
func TestSgdiskArgs(t *testing.T) {
	no := false
	o := &sgdiskOptions{UUID: "u"}
	o.Partitions = append(o.Partitions, tablePartition{Start: 2048, Size: 4096, Name: "root", Bootable: true, PartNum: 2})
	want := []string{"-Z", "/d", "-g", "-U", "u", "-n", "2:2048:+4096", "-c", `2:"root"`, "-A", "2:set:2"}
	if got := sgdiskArgs(o, "/d"); !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	o.QuotePartitionName = &no
	if got := sgdiskArgs(o, "/d"); got[8] != "2:root" {
		t.Errorf("unquoted: %q", got)
	}
}
