package stages

import (
	"slices"
	"testing"
)

// The mkfs commands are osbuild's, option for option.
func TestMkfsCommand(t *testing.T) {
	yes, no, ag := true, false, 4
	for _, tc := range []struct {
		fs   string
		o    mkfsOptions
		name string
		args []string
	}{
		{"ext4", mkfsOptions{UUID: "u", Label: "root", LazyInit: &no, Verity: &yes, OrphanFile: &no},
			"mkfs.ext4", []string{"-F", "-U", "u", "-L", "root", "-E", "lazy_itable_init=0", "-E", "lazy_journal_init=0", "-O", "verity", "-O", "^orphan_file"}},
		{"xfs", mkfsOptions{UUID: "u", AgCount: &ag}, "mkfs.xfs", []string{"-f", "-m", "uuid=u", "-d", "agcount=4"}},
		{"btrfs", mkfsOptions{UUID: "u", Metadata: "dup"}, "mkfs.btrfs", []string{"-f", "-U", "u", "-m", "dup"}},
		{"fat", mkfsOptions{VolID: "7B7795E7", FatSize: 32, Geometry: &struct {
			Heads           int `json:"heads"`
			SectorsPerTrack int `json:"sectors-per-track"`
		}{255, 63}}, "mkfs.fat", []string{"-I", "-i", "7B7795E7", "-F", "32", "-g", "255/63"}},
	} {
		name, args := mkfsCommand(tc.fs, &tc.o)
		if name != tc.name || !slices.Equal(args, tc.args) {
			t.Errorf("%s: %s %q, want %s %q", tc.fs, name, args, tc.name, tc.args)
		}
	}
}
