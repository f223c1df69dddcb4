//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"testing"
)

// dracutManifests are the reference image with Debian's dracut instead of
// initramfs-tools and an org.osbuild.dracut stage after apt: the tree up
// to apt (to learn the kernel version, as a manifest generator knows it),
// and the whole image for that kernel.
func dracutManifests(t *testing.T) (treeOnly func() string, image func(kver string) string) {
	t.Helper()
	load := func() map[string]any {
		m := referenceImage(t)
		stages := m["pipelines"].([]any)[0].(map[string]any)["stages"].([]any)
		apt := stages[1].(map[string]any)["options"].(map[string]any)
		apt["packages"] = append(apt["packages"].([]any), "dracut")
		return m
	}
	treeOnly = func() string {
		m := load()
		pl := m["pipelines"].([]any)[0].(map[string]any)
		pl["stages"] = pl["stages"].([]any)[:2]
		delete(m, "assembler")
		return writeManifest(t, m)
	}
	image = func(kver string) string {
		m := load()
		pl := m["pipelines"].([]any)[0].(map[string]any)
		stages := pl["stages"].([]any)
		dracut := map[string]any{"type": "org.osbuild.dracut", "options": map[string]any{
			"kernel": []string{kver}, "add_modules": []string{"qemu"}, "compress": "zstd"}}
		pl["stages"] = append(append(append([]any{}, stages[:2]...), dracut), stages[2:]...)
		return writeManifest(t, m)
	}
	return treeOnly, image
}

// Debian's dracut makes the initramfs the reference image boots with.
func TestDracutInitramfsBoots(t *testing.T) {
	bootsBesideAnother(t)
	treeOnly, image := dracutManifests(t)
	tree, _ := buildTree(t, treeOnly(), "os")
	mods, err := os.ReadDir(filepath.Join(tree, "lib/modules"))
	if err != nil || len(mods) != 1 {
		t.Fatalf("want one kernel in the tree: %v %v", mods, err)
	}
	kver := mods[0].Name()
	out := t.TempDir()
	run(t, 0, cli, "build", "--progress", "plain", "--output-directory", out, image(kver))
	img := filepath.Join(out, "assembler", "debian-bookworm.qcow2")
	v := bootVM(t, img, "bios")
	v.login(t, "debian", "debian")
	if state := v.run(t, "systemctl is-system-running --wait"); state != "running" {
		t.Errorf("systemctl is-system-running: %q; failed units:\n%s", state, v.run(t, "systemctl --failed --no-legend"))
	}
	info := v.run(t, "echo debian | sudo -S -p '' lsinitrd /boot/initrd.img-$(uname -r) | head -40")
	wantContains(t, "lsinitrd", info, "Version: dracut", "qemu")
	if got := v.run(t, "uname -r"); got != kver {
		t.Errorf("booted kernel %q, want %q", got, kver)
	}
}
