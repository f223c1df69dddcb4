package stages

import (
	"encoding/json"
	"slices"
	"testing"
)

// dracut's flags for options as osbuild's stage builds them.
func TestDracutArgs(t *testing.T) {
	var o dracutOptions
	raw := `{"kernel": ["6.1.0-1-amd64"], "compress": "zstd", "add_modules": ["qemu", "lvm"], "omit_drivers": ["floppy"],
		"include": [{"/etc/a": "/etc/b"}], "install": ["/usr/bin/less"], "remove": ["/etc/x"], "reproducible": false,
		"extra": ["--hostonly-cmdline"], "unknown-key": 1}`
	if err := json.Unmarshal([]byte(raw), &o); err != nil {
		t.Fatal(err)
	}
	want := []string{"--force", "-v", "--show-modules", "--no-early-microcode", "--no-reproducible", "--compress=zstd",
		"--add", "qemu lvm", "--omit-drivers", "floppy", "--include", "/etc/a", "/etc/b", "--remove", "/etc/x",
		"--install", "/usr/bin/less", "--hostonly-cmdline"}
	if got := dracutArgs(&o); !slices.Equal(got, want) {
		t.Errorf("dracutArgs =\n%q\nwant\n%q", got, want)
	}
	if got := dracutArgs(&dracutOptions{}); !slices.Contains(got, "--reproducible") {
		t.Errorf("reproducible is not the default: %q", got)
	}
}
