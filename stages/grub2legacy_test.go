package stages

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The files osbuild's grub2.legacy stage writes (osbuild at the pinned
// commit run on these options, its module and font copies left out:
// testdata/grub2-legacy), byte for byte; the helper copies the modules and
// font from the buildroot (here the host's grub-pc-bin and grub-common).
func TestGrubLegacyAsOsbuildWritesIt(t *testing.T) {
	cases, _ := filepath.Glob("testdata/grub2-legacy/*.json")
	if len(cases) == 0 {
		t.Fatal("no cases in testdata/grub2-legacy")
	}
	for _, c := range cases {
		t.Run(filepath.Base(c), func(t *testing.T) {
			var tc struct {
				Options map[string]any    `json:"options"`
				Files   map[string]string `json:"files"`
			}
			data, err := os.ReadFile(c)
			if err == nil {
				err = json.Unmarshal(data, &tc)
			}
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := json.Marshal(tc.Options)
			o, err := decodeOptions[grubLegacyOptions](raw)
			if err != nil {
				t.Fatal(err)
			}
			files, err := grubLegacyFiles(o)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, f := range files {
				got[f.path] = f.data
			}
			for p, want := range tc.Files {
				if got[p] != want {
					t.Errorf("%s = %q\nwant %q", p, got[p], want)
				}
			}
			if len(got) != len(tc.Files) {
				t.Errorf("writes %d files, osbuild %d", len(got), len(tc.Files))
			}
			if bios, _ := tc.Options["bios"].(map[string]any); bios["platform"] == "i386-pc" {
				checkGrubLegacyHelper(t, tc.Options, tc.Files["/boot/grub2/grub.cfg"])
			}
		})
	}
}

// checkGrubLegacyHelper runs the helper: it writes the files and copies
// the platform's modules and the font from the buildroot (here, the host).
func checkGrubLegacyHelper(t *testing.T, options map[string]any, cfg string) {
	t.Helper()
	rt, log := runtimeFor(t, "org.osbuild.grub2.legacy", options)
	if err := run(t, rt); err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	if data, err := os.ReadFile(filepath.Join(rt.Tree, "boot/grub2/grub.cfg")); err != nil || string(data) != cfg {
		t.Errorf("the helper's grub.cfg: %q %v", data, err)
	}
	for _, p := range []string{"boot/grub2/i386-pc/normal.mod", "boot/grub2/fonts/unicode.pf2"} {
		if _, err := os.Stat(filepath.Join(rt.Tree, p)); err != nil {
			t.Errorf("%s was not copied: %v", p, err)
		}
	}
	// GRUB's own parser accepts the configuration (grub-common)
	if out, err := exec.Command("grub-script-check", filepath.Join(rt.Tree, "boot/grub2/grub.cfg")).CombinedOutput(); err != nil {
		t.Errorf("grub-script-check: %v\n%s", err, out)
	}
}
