package stages

import (
	"strings"
	"testing"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// osbuild's bootiso layout: grub2.iso in the efiboot tree, which a copy
// stage of the ISO tree takes as an input; grub2.iso.legacy in the ISO
// tree itself. A label the ISO's volid is not is warned about at the
// menu's isolabel; the same label, or a menu in no ISO, is not.
func TestISOLabelRule(t *testing.T) {
	const tmpl = `{"version": "2", "pipelines": [
	  {"name": "efiboot-tree", "stages": [{"type": "org.osbuild.grub2.iso", "options": {"product": {"name": "Debian", "version": "12"}, "isolabel": "%s", "kernel": {"dir": "/live", "opts": []}, "architectures": ["X64"], "vendor": "debian"}}]},
	  {"name": "iso-tree", "stages": [
	    {"type": "org.osbuild.copy", "inputs": {"root-tree": {"type": "org.osbuild.tree", "origin": "org.osbuild.pipeline", "references": ["name:efiboot-tree"]}}, "options": {"paths": [{"from": "input://root-tree/", "to": "tree:///efi/"}]}},
	    {"type": "org.osbuild.grub2.iso.legacy", "options": {"product": {"name": "Debian", "version": "12"}, "isolabel": "%s", "kernel": {"dir": "/live", "opts": []}}}]},
	  {"name": "iso", "stages": [{"type": "org.osbuild.xorrisofs", "inputs": {"tree": {"type": "org.osbuild.tree", "origin": "org.osbuild.pipeline", "references": ["name:iso-tree"]}}, "options": {"filename": "live.iso", "volid": "DEBIAN_LIVE"}}]}]}`
	load := func(efi, bios string) *manifest.Manifest {
		m, err := manifest.Load("m.json", []byte(fill(tmpl, efi, bios)))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	m := load("DEBIAN_LIVE", "DEBIAN_LIVE")
	for _, pl := range m.Pipelines {
		if f := Check(m, pl); len(f) != 0 {
			t.Errorf("same labels: %v", f[0].At)
		}
	}
	m = load("OTHER", "DEBIAN_LIVE")
	f := Check(m, m.Pipelines[0])
	if len(f) != 1 || f[0].Rule != "ISOLabelMismatch" || f[0].At.Path.String() != ".pipelines[0].stages[0].options.isolabel" ||
		!strings.Contains(f[0].At.Err.Error(), `the volume ID "DEBIAN_LIVE"`) || !strings.Contains(f[0].At.Err.Error(), ".pipelines[2].stages[0].options.volid") {
		t.Errorf("efiboot menu with another label: %v", f)
	}
	m = load("DEBIAN_LIVE", "debian_live")
	if f := Check(m, m.Pipelines[1]); len(f) != 1 || f[0].At.Path.String() != ".pipelines[1].stages[1].options.isolabel" {
		t.Errorf("BIOS menu with another label: %v", f)
	}
}

// fill puts efi and bios for the template's two %s, in order.
func fill(tmpl, efi, bios string) string {
	return strings.Replace(strings.Replace(tmpl, "%s", efi, 1), "%s", bios, 1)
}
