//go:build integration

package integration

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A lock of an apt stage that adds a signed repository (Debian's security
// archive, signed-by Debian's archive key), pins a package and upgrades:
// the lock takes the upgrades from that repository, the locked build
// installs what the unlocked build installs (the same mirror state), and
// the locked tree's apt points at the real repository with its key. With
// a key that did not sign the repository, the lock fails on apt's
// signature check.
func TestLockSignedRepositoryAndUpgrade(t *testing.T) {
	manifest := manifestFile(t, "integration/testdata/lock-repos.json", withKey(t, "debian-archive-keyring.gpg"))
	locked := filepath.Join(t.TempDir(), "locked.json")
	run(t, 0, cli, "lock", "--progress", "plain", "-o", locked, manifest)
	lock := readLock(t, locked)
	want := lockedVersions(t, lock)
	fromSecurity := 0
	for _, item := range lock.Sources.Curl.Items {
		if strings.Contains(item.URL, "/debian-security/pool/") {
			fromSecurity++
		}
	}
	if fromSecurity == 0 {
		t.Errorf("upgrade with the security repository locked nothing from it (bookworm's minbase has security updates of apt and libc-bin)")
	}

	lockedTree, unlockedTree := t.TempDir(), t.TempDir()
	run(t, 0, cli, "build", "--progress", "plain", "--export", "tree", "--output-directory", lockedTree, locked)
	run(t, 0, cli, "build", "--progress", "plain", "--export", "tree", "--output-directory", unlockedTree, manifest)
	got := installedVersions(t, filepath.Join(lockedTree, "tree"))
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the locked build installed\n%s\nthe lock has\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if unlocked := installedVersions(t, filepath.Join(unlockedTree, "tree")); strings.Join(unlocked, "\n") != strings.Join(got, "\n") {
		t.Errorf("the unlocked build installed\n%s\nthe locked one\n%s", strings.Join(unlocked, "\n"), strings.Join(got, "\n"))
	}
	list, _ := os.ReadFile(filepath.Join(lockedTree, "tree/etc/apt/sources.list.d/security.list"))
	if string(list) != "deb [signed-by=/etc/apt/keyrings/security.asc] http://deb.debian.org/debian-security bookworm-security main\n" {
		t.Errorf("the locked tree's security.list is %q", list)
	}
	if key, err := os.ReadFile(filepath.Join(lockedTree, "tree/etc/apt/keyrings/security.asc")); err != nil || !strings.HasPrefix(string(key), "-----BEGIN PGP PUBLIC KEY BLOCK-----") {
		t.Errorf("the locked tree's key: %v %.40q", err, key)
	}
	run(t, 0, cli, "lock", "--check", "--progress", "quiet", locked)

	// The control: a key that did not sign bookworm-security.
	wrong := manifestFile(t, "integration/testdata/lock-repos.json", withKey(t, "debian-archive-bullseye-stable.gpg"))
	out := run(t, 1, cli, "lock", "--progress", "plain", wrong)
	if !strings.Contains(out, "NO_PUBKEY") && !strings.Contains(out, "not signed") {
		t.Errorf("a lock against a repository its key did not sign:\n%s", tail(out, 15))
	}
}

// withKey puts the host's Debian keyring file (under /usr/share/keyrings),
// ASCII-armoured, where lock-repos.json has its placeholder.
func withKey(t *testing.T, keyring string) func(string) string {
	t.Helper()
	cmd := exec.Command("gpg", "--no-default-keyring", "--keyring", filepath.Join("/usr/share/keyrings", keyring), "--export", "--armor")
	cmd.Env = append(os.Environ(), "GNUPGHOME="+t.TempDir())
	armored, err := cmd.Output()
	if err != nil || len(armored) == 0 {
		t.Fatalf("gpg --export of %s (debian-archive-keyring and gnupg: make env): %v", keyring, err)
	}
	quoted, err := json.Marshal(string(armored))
	if err != nil {
		t.Fatal(err)
	}
	return func(s string) string { return strings.Replace(s, `"@DEBIAN-ARCHIVE-KEY@"`, string(quoted), 1) }
}
