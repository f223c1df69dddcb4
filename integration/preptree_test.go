//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const preptreeRef = "debian/bookworm/x86_64/osbuildkit"

// OSTree on Debian (images/debian-bookworm-ostree.json: the reference
// image's packages with Debian's dracut, as the dracut test has them, so
// its first stages are cached, and ostree-boot): a commit of a tree
// org.osbuild.ostree.preptree made has OSTree's layout; osbuild's deploy
// form of org.osbuild.ostree deploys it from the committing pipeline; the
// deployment boots: systemd reaches "running" with the root being the
// deployment.
func TestPreptreeCommitDeploysAndBoots(t *testing.T) {
	bootsBesideAnother(t)
	out := t.TempDir()
	run(t, 0, cli, "build", "--progress", "plain", "--output-directory", out, "--export", "image-tree", manifestFile(t, "images/debian-bookworm-ostree.json"))
	sysroot := filepath.Join(out, "image-tree")
	// The deployment pulled the commit and its ref into the sysroot.
	repoDir := filepath.Join(sysroot, "ostree/repo")
	top := run(t, 0, "ostree", "--repo="+repoDir, "ls", preptreeRef, "/")
	wantContains(t, "ostree ls /", top, "/home -> var/home", "/root -> var/roothome", "/ostree -> sysroot/ostree", "/sysroot", "/usr")
	if strings.Contains(top, " /etc") {
		t.Errorf("the commit has /etc:\n%s", top)
	}
	wantContains(t, "the commit's tmpfiles", run(t, 0, "ostree", "--repo="+repoDir, "cat", preptreeRef, "/usr/lib/tmpfiles.d/rpm-ostree-1-autovar.conf"),
		"L /var/lib/dpkg - - - - ../../usr/lib/sysimage/dpkg\n", "d /var/home/debian 0755 debian debian - -\n")

	wantContains(t, "the sysroot's repository", run(t, 0, "ostree", "--repo="+repoDir, "config", "get", "sysroot.readonly"), "true")
	wantContains(t, "the sysroot's remotes", run(t, 0, "ostree", "--repo="+repoDir, "remote", "show-url", "debian"), "https://ostree.example.org/repo")
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
