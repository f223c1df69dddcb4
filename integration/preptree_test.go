//go:build integration

package integration

import (
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
	}})
	return writeManifest(t, m)
}

// OSTree on Debian: a commit of a tree org.osbuild.ostree.preptree made
// has OSTree's layout, deploys with ostree admin, and boots: systemd
// reaches "running" with the root being the deployment.
func TestPreptreeCommitDeploysAndBoots(t *testing.T) {
	out := t.TempDir()
	run(t, 0, cli, "build", "--progress", "plain", "--output-directory", out, "--export", "ostree-commit", preptreeManifest(t))
	repoDir := filepath.Join(out, "ostree-commit", "repo")
	top := run(t, 0, "ostree", "--repo="+repoDir, "ls", preptreeRef, "/")
	wantContains(t, "ostree ls /", top, "/home -> var/home", "/root -> var/roothome", "/ostree -> sysroot/ostree", "/sysroot", "/usr")
	if strings.Contains(top, " /etc") {
		t.Errorf("the commit has /etc:\n%s", top)
	}
	wantContains(t, "the commit's tmpfiles", run(t, 0, "ostree", "--repo="+repoDir, "cat", preptreeRef, "/usr/lib/tmpfiles.d/rpm-ostree-1-autovar.conf"),
		"L /var/lib/dpkg - - - - ../../usr/lib/sysimage/dpkg\n", "d /var/home/debian 0755 debian debian - -\n")

	sysroot, kernel, initrd, cmdline := deployOSTree(t, repoDir, "root=LABEL=root", "rw", "console=ttyS0,115200")
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

// deployOSTree deploys the commit as a first install does (ostree admin
// init-fs, os-init, deploy; /var made from the commit's tmpfiles.d, as
// osbuild's deploy stage does with populate_var) into a new sysroot, and
// returns it with the deployment's kernel, initramfs and command line.
func deployOSTree(t *testing.T, repoDir string, kargs ...string) (sysroot, kernel, initrd, cmdline string) {
	t.Helper()
	sysroot = t.TempDir()
	run(t, 0, "ostree", "admin", "init-fs", "--modern", sysroot)
	run(t, 0, "ostree", "--repo="+filepath.Join(sysroot, "ostree/repo"), "pull-local", repoDir, preptreeRef)
	run(t, 0, "ostree", "admin", "os-init", "debian", "--sysroot="+sysroot)
	args := []string{"admin", "deploy", "--sysroot=" + sysroot, "--os=debian"}
	for _, k := range kargs {
		args = append(args, "--karg="+k)
	}
	run(t, 0, "ostree", append(args, preptreeRef)...)
	deps, err := filepath.Glob(filepath.Join(sysroot, "ostree/deploy/debian/deploy/*.0"))
	if err != nil || len(deps) != 1 {
		t.Fatalf("deployments: %v %v", deps, err)
	}
	// ostree makes the deployment immutable; the test's clean-up must not.
	t.Cleanup(func() { run(t, 0, "chattr", "-i", deps[0]) })
	run(t, 0, "systemd-tmpfiles", "--create", "--boot", "--root="+deps[0], "--prefix=/var")
	run(t, 0, "sh", "-c", `cp -a "$1"/var/. "$2"/ && find "$1"/var -mindepth 1 -maxdepth 1 -exec rm -rf {} +`, "sh", deps[0], filepath.Join(sysroot, "ostree/deploy/debian/var"))
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
	return sysroot, kernel, initrd, cmdline
}
