//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const preptreeRef = "debian/bookworm/x86_64/osbuildkit"

// preptreeManifest is the reference image's tree with Debian's dracut (as
// the dracut test has it, so its first stages are cached) and ostree-boot,
// its user and hostname, then org.osbuild.ostree.preptree; a second
// pipeline commits it, as osbuild's fedora-ostree-commit.json does.
func preptreeManifest(t *testing.T) string {
	t.Helper()
	m := referenceImage(t)
	pl := m["pipelines"].([]any)[0].(map[string]any)
	ref := pl["stages"].([]any)
	apt := ref[1].(map[string]any)["options"].(map[string]any)
	apt["packages"] = append(apt["packages"].([]any), "dracut")
	stages := []any{ref[0], ref[1], map[string]any{"name": "org.osbuild.apt", "options": map[string]any{"packages": []string{"ostree-boot"}}}}
	for _, s := range ref[2:] {
		if n := s.(map[string]any)["name"]; n == "org.osbuild.users" || n == "org.osbuild.hostname" {
			stages = append(stages, s)
		}
	}
	pl["stages"] = append(stages, map[string]any{"name": "org.osbuild.ostree.preptree",
		"options": map[string]any{"etc_group_members": []string{"sudo"}, "initramfs-args": []string{"--add", "qemu"}}})
	delete(m, "assembler")
	m["pipelines"] = append(m["pipelines"].([]any), map[string]any{"name": "ostree-commit", "stages": []any{
		map[string]any{"type": "org.osbuild.ostree.init", "options": map[string]any{"path": "/repo"}},
		map[string]any{"type": "org.osbuild.ostree.commit", "options": map[string]any{"ref": preptreeRef, "os_version": "12"},
			"inputs": map[string]any{"tree": map[string]any{"type": "org.osbuild.tree", "origin": "org.osbuild.pipeline", "references": []string{"name:os"}}}},
	}}, map[string]any{"name": "image-tree", "stages": []any{
		map[string]any{"type": "org.osbuild.ostree",
			"inputs": map[string]any{"commit": map[string]any{"type": "org.osbuild.ostree", "origin": "org.osbuild.pipeline",
				"references": map[string]any{"name:ostree-commit": map[string]any{"ref": preptreeRef}}}},
			"options": map[string]any{"osname": "debian", "rootfs": map[string]any{"label": "root"}, "populate_var": true,
				// Debian's fstab has no root entry to remount it: rw as Fedora's images have it.
				"kernel_opts": []string{"rw", "console=ttyS0,115200"},
				"remotes":     []any{map[string]any{"name": "debian", "url": "https://ostree.example.org/repo", "branches": []string{preptreeRef}}}}},
	}})
	return writeManifest(t, m)
}

// OSTree on Debian: a commit of a tree org.osbuild.ostree.preptree made
// has OSTree's layout; osbuild's deploy form of org.osbuild.ostree
// deploys it from the committing pipeline; the deployment boots: systemd
// reaches "running" with the root being the deployment.
func TestPreptreeCommitDeploysAndBoots(t *testing.T) {
	out := t.TempDir()
	run(t, 0, cli, "build", "--progress", "plain", "--output-directory", out, "--export", "ostree-commit", "--export", "image-tree", preptreeManifest(t))
	repoDir := filepath.Join(out, "ostree-commit", "repo")
	top := run(t, 0, "ostree", "--repo="+repoDir, "ls", preptreeRef, "/")
	wantContains(t, "ostree ls /", top, "/home -> var/home", "/root -> var/roothome", "/ostree -> sysroot/ostree", "/sysroot", "/usr")
	if strings.Contains(top, " /etc") {
		t.Errorf("the commit has /etc:\n%s", top)
	}
	wantContains(t, "the commit's tmpfiles", run(t, 0, "ostree", "--repo="+repoDir, "cat", preptreeRef, "/usr/lib/tmpfiles.d/rpm-ostree-1-autovar.conf"),
		"L /var/lib/dpkg - - - - ../../usr/lib/sysimage/dpkg\n", "d /var/home/debian 0755 debian debian - -\n")

	sysroot := filepath.Join(out, "image-tree")
	sysRepo := filepath.Join(sysroot, "ostree/repo")
	wantContains(t, "the sysroot's repository", run(t, 0, "ostree", "--repo="+sysRepo, "config", "get", "sysroot.readonly"), "true")
	wantContains(t, "the sysroot's remotes", run(t, 0, "ostree", "--repo="+sysRepo, "remote", "show-url", "debian"), "https://ostree.example.org/repo")
	kernel, initrd, cmdline := bootEntry(t, sysroot)
	wantContains(t, "the boot entry's options", cmdline, "root=LABEL=root", "rw", "console=ttyS0,115200", "ostree=/ostree/boot.")
	if home := filepath.Join(sysroot, "ostree/deploy/debian/var/home/debian"); !isDir(home) {
		t.Errorf("populate_var made no %s", home)
	}
	disk := filepath.Join(t.TempDir(), "sysroot.img")
	run(t, 0, "mkfs.ext4", "-q", "-L", "root", "-d", sysroot, disk, "3G")
	v := bootKernel(t, disk, kernel, initrd, cmdline)
	v.login(t, "debian", "debian")
	if state := v.run(t, "systemctl is-system-running --wait"); state != "running" {
		t.Errorf("systemctl is-system-running: %q; failed units:\n%s", state, v.run(t, "systemctl --failed --no-legend"))
	}
	wantContains(t, "findmnt /", v.run(t, "findmnt -n -o SOURCE /"), "/ostree/deploy/debian/deploy/")
	if got := v.run(t, "dpkg-query -W -f='${db:Status-Status}' ostree-boot"); got != "installed" {
		t.Errorf("dpkg-query through /var/lib/dpkg: %q", got)
	}
	wantContains(t, "lsinitrd", v.run(t, "echo debian | sudo -S -p '' lsinitrd | grep -E 'ostree-prepare-root|^Arguments'"),
		"--add 'ostree'", "--add 'qemu'", "usr/lib/ostree/ostree-prepare-root")
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// bootEntry reads the sysroot's one boot loader entry: the deployment's
// kernel, initramfs and command line.
func bootEntry(t *testing.T, sysroot string) (kernel, initrd, cmdline string) {
	t.Helper()
	entries, err := filepath.Glob(filepath.Join(sysroot, "boot/loader/entries/*.conf"))
	if err != nil || len(entries) != 1 {
		t.Fatalf("boot loader entries: %v %v", entries, err)
	}
	for _, l := range strings.Split(readFile(t, entries[0]), "\n") {
		key, val, _ := strings.Cut(l, " ")
		switch key {
		case "linux":
			kernel = filepath.Join(sysroot, "boot", val)
		case "initrd":
			initrd = filepath.Join(sysroot, "boot", val)
		case "options":
			cmdline = val
		}
	}
	if kernel == "" || initrd == "" || !strings.Contains(cmdline, "ostree=") {
		t.Fatalf("boot loader entry %s: kernel %q initrd %q options %q", entries[0], kernel, initrd, cmdline)
	}
	return kernel, initrd, cmdline
}
