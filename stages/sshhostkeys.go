package stages

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// hostKeysUnit makes the SSH host keys on the machine's first boot, before
// sshd starts, where a reproducible tree has none (deferHostKeys).
const (
	hostKeysUnit     = "ssh-host-keys.service"
	hostKeysUnitText = `# Written by osbuildkit: the image was built with a source-epoch, so it
# carries no SSH host keys (they would differ from build to build and be
# shared by every machine booted from the image). They are made here, once.
[Unit]
Description=OpenSSH host keys, made on first boot
ConditionPathExistsGlob=!/etc/ssh/ssh_host_*_key
Before=ssh.service ssh.socket

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/bin/ssh-keygen -A

[Install]
WantedBy=ssh.service ssh.socket
`
)

// deferHostKeys removes the SSH host keys openssh-server's postinst made
// (random: no two builds alike) and installs and enables hostKeysUnit,
// which makes them on first boot, as Fedora's sshd-keygen does. It does
// nothing in a tree without host keys. For a pipeline with a source-epoch.
func deferHostKeys(rt *Runtime) error {
	dir, err := rt.Path("/etc/ssh")
	if err != nil {
		return err
	}
	keys, err := filepath.Glob(filepath.Join(dir, "ssh_host_*_key"))
	if err != nil || len(keys) == 0 {
		return err
	}
	for _, k := range keys {
		for _, f := range []string{k, k + ".pub"} {
			if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("removing the SSH host key: %w", err)
			}
		}
	}
	unit := "/etc/systemd/system/" + hostKeysUnit
	if err := rt.WriteFile(unit, []byte(hostKeysUnitText), 0o644); err != nil {
		return err
	}
	for _, by := range []string{"ssh.service", "ssh.socket"} {
		link, err := rt.Path("/etc/systemd/system/" + by + ".wants/" + hostKeysUnit)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
			return err
		}
		if err := os.Symlink(unit, link); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("enabling %s: %w", hostKeysUnit, err)
		}
	}
	rt.Logf("source-epoch: removed the SSH host keys (%d); %s makes them on first boot", len(keys), hostKeysUnit)
	return nil
}
