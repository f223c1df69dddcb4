//go:build integration

package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// org.osbuild.grub2.legacy in a real build: the configuration osbuild
// writes, checked by GRUB's parser, with Debian's i386-pc modules and font
// copied from the host buildroot.
func TestGrubLegacyConfiguration(t *testing.T) {
	manifest := filepath.Join(t.TempDir(), "manifest.json")
	err := os.WriteFile(manifest, []byte(`{"version": "2", "pipelines": [{"name": "tree", "stages": [
	  {"type": "org.osbuild.grub2.legacy", "options": {
	    "rootfs": {"uuid": "76a22bf4-f153-4541-b6c7-0332c0dfaeac"}, "bios": {"platform": "i386-pc"},
	    "entries": [{"id": "76a22bf4-f153-4541-b6c7-0332c0dfaeac", "kernel": "6.1.0-13-amd64", "product": {"name": "Debian", "version": "12"}, "default": true}],
	    "config": {"cmdline": "ro console=ttyS0", "timeout": 3}}}
	]}]}`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	tree, _ := buildTree(t, manifest, "tree")
	cfg := filepath.Join(tree, "boot/grub2/grub.cfg")
	wantContains(t, "grub.cfg", readFile(t, cfg), "set timeout=3\n", "linux16 /boot/vmlinuz-6.1.0-13-amd64 root=UUID=76a22bf4-f153-4541-b6c7-0332c0dfaeac ro console=ttyS0\n")
	if out, err := exec.Command("grub-script-check", cfg).CombinedOutput(); err != nil {
		t.Errorf("grub-script-check: %v\n%s", err, out)
	}
	env := readFile(t, filepath.Join(tree, "boot/grub2/grubenv"))
	if len(env) != 1024 {
		t.Errorf("grubenv is %d bytes", len(env))
	}
	wantContains(t, "grubenv", env, "saved_entry=gnulinux-$6.1.0-13-amd64-advanced-76a22bf4-f153-4541-b6c7-0332c0dfaeac\n")
	for _, p := range []string{"boot/grub2/i386-pc/normal.mod", "boot/grub2/i386-pc/command.lst", "boot/grub2/fonts/unicode.pf2"} {
		if _, err := os.Stat(filepath.Join(tree, p)); err != nil {
			t.Errorf("%s is missing: %v", p, err)
		}
	}
}
