package stages

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// With a source-epoch, the files an install leaves that differ from one
// build to the next go, as mmdebstrap removes them from its trees; the
// rest stays.
func TestRemoveUnreproducible(t *testing.T) {
	tree := t.TempDir()
	keep := []string{"/var/log/apt/keep.log", "/var/cache/ldconfig/other", "/etc/machine-id"}
	for _, f := range append(append([]string(nil), unreproducible...), keep...) {
		p := filepath.Join(tree, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("x"), 0o644)
	}
	removeUnreproducible(&Runtime{Spec: Spec{Tree: tree}})
	for _, f := range unreproducible {
		if _, err := os.Lstat(filepath.Join(tree, f)); err == nil {
			t.Errorf("%s is still there", f)
		}
	}
	for _, f := range keep {
		if _, err := os.Lstat(filepath.Join(tree, f)); err != nil {
			t.Errorf("%s was removed", f)
		}
	}
}

// With a source-epoch, the SSH host keys openssh-server made go, and a
// unit, enabled for ssh.service and ssh.socket, makes them on first boot;
// a second install keeps one unit; a tree without keys is left alone.
func TestDeferHostKeys(t *testing.T) {
	tree := t.TempDir()
	rt := &Runtime{Spec: Spec{Tree: tree}}
	if err := deferHostKeys(rt); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(tree, "etc/systemd")); err == nil {
		t.Errorf("a tree without host keys got the unit")
	}
	for round := 0; round < 2; round++ {
		os.MkdirAll(filepath.Join(tree, "etc/ssh"), 0o755)
		for _, f := range []string{"ssh_host_ed25519_key", "ssh_host_ed25519_key.pub", "ssh_host_rsa_key", "ssh_host_rsa_key.pub", "sshd_config"} {
			os.WriteFile(filepath.Join(tree, "etc/ssh", f), []byte("x"), 0o600)
		}
		if err := deferHostKeys(rt); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
	left, _ := filepath.Glob(filepath.Join(tree, "etc/ssh/*"))
	if len(left) != 1 || filepath.Base(left[0]) != "sshd_config" {
		t.Errorf("/etc/ssh has %v, want only sshd_config", left)
	}
	unit, err := os.ReadFile(filepath.Join(tree, "etc/systemd/system", hostKeysUnit))
	if err != nil || !strings.Contains(string(unit), "ExecStart=/usr/bin/ssh-keygen -A") || !strings.Contains(string(unit), "Before=ssh.service ssh.socket") {
		t.Errorf("the unit: %q %v", unit, err)
	}
	for _, by := range []string{"ssh.service", "ssh.socket"} {
		target, err := os.Readlink(filepath.Join(tree, "etc/systemd/system", by+".wants", hostKeysUnit))
		if err != nil || target != "/etc/systemd/system/"+hostKeysUnit {
			t.Errorf("%s.wants: %q %v", by, target, err)
		}
	}
}

// A package naming another architecture (libc6:i386) makes the stage add
// it to dpkg first, once, unless it is the tree's or already there.
func TestForeignArchitectures(t *testing.T) {
	for p, want := range map[string]string{
		"libc6:i386": "i386", "libc6:i386=2.36-9": "i386", "libc6:armhf/bookworm": "armhf",
		"libc6": "", "libc6=2.36": "", "python3:any": "", "foo:all": "", "foo:native": "", "foo:I386": "",
	} {
		if got := packageArch(p); got != want {
			t.Errorf("packageArch(%q) = %q, want %q", p, got, want)
		}
	}
	got := missingArchitectures([]string{"i386", "amd64", "armhf", "i386", "arm64"}, "amd64", []string{"arm64"})
	if !slices.Equal(got, []string{"i386", "armhf"}) {
		t.Errorf("missing %q", got)
	}
}
