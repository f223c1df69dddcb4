//go:build integration

package integration

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// buildTree builds a manifest's export with the CLI and returns the tree.
func buildTree(t *testing.T, manifest, export string, extra ...string) (string, string) {
	t.Helper()
	out := t.TempDir()
	args := append([]string{"build", "--progress", "rawjson", "--output-directory", out, "--export", export}, extra...)
	log := run(t, 0, cli, append(args, manifest)...)
	return filepath.Join(out, export), log
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func wantContains(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, got)
		}
	}
}

func dpkgInstalled(t *testing.T, tree string, pkgs ...string) {
	t.Helper()
	out, err := exec.Command("dpkg-query", "--admindir="+filepath.Join(tree, "var/lib/dpkg"), "-W", "-f=${Package} ${db:Status-Status}\n").Output()
	if err != nil {
		t.Fatalf("dpkg-query: %v", err)
	}
	for _, p := range pkgs {
		if !strings.Contains(string(out), p+" installed\n") {
			t.Errorf("package %s is not installed in the tree", p)
		}
	}
}

// The users' example, as written: the tree it exports before the
// assembler runs.
func TestDebianBasicTree(t *testing.T) {
	tree, _ := buildTree(t, manifestFile(t, "images/user-basic-tar.json"), "build")
	wantContains(t, "/etc/shadow", readFile(t, filepath.Join(tree, "etc/shadow")), "\ndebian:$6$rounds=656000$...:")
	wantContains(t, "/etc/passwd", readFile(t, filepath.Join(tree, "etc/passwd")), ":/home/debian:/bin/bash\n")
	wantContains(t, "/etc/group", readFile(t, filepath.Join(tree, "etc/group")), "\nsudo:x:27:debian\n")
	dpkgInstalled(t, tree, "sudo", "openssh-server", "systemd-sysv")
	for _, dir := range []string{"var/lib/apt/lists", "var/cache/apt/archives"} {
		filepath.Walk(filepath.Join(tree, dir), func(p string, fi os.FileInfo, err error) error {
			if err == nil && !fi.IsDir() && fi.Name() != "lock" {
				t.Errorf("apt left %s in the tree", p)
			}
			return nil
		})
	}
	wantContains(t, "/etc/hosts", readFile(t, filepath.Join(tree, "etc/hosts")), "127.0.0.1\tlocalhost\n")
	if s := readFile(t, filepath.Join(tree, "etc/resolv.conf")); strings.Contains(s, "nameserver") {
		t.Errorf("/etc/resolv.conf carries the build host's name servers:\n%s", s)
	}
	if id := readFile(t, filepath.Join(tree, "etc/machine-id")); id != "" {
		t.Errorf("/etc/machine-id is %q: images would share it", id)
	}
}

func TestDebianConfigurationStages(t *testing.T) {
	tree, _ := buildTree(t, manifestFile(t, "integration/testdata/debian-config.json"), "tree")
	f := func(p string) string { return readFile(t, filepath.Join(tree, p)) }
	wantContains(t, "/etc/group", f("etc/group"), "\nadmins:x:2000:alice\n", "sudo:x:27:alice\n")
	wantContains(t, "/etc/passwd", f("etc/passwd"), "\nalice:x:1500:1500:Alice A:/srv/alice:/bin/bash\n")
	wantContains(t, "/etc/shadow", f("etc/shadow"), "\nalice:$6$salt$hash:", ":20000:\n", "root:$6$rootsalt$roothash:")
	checkFile(t, filepath.Join(tree, "srv/alice/.ssh/authorized_keys"), []byte("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBk alice@example\n"), 0o600, 1500, 1500)
	checkFile(t, filepath.Join(tree, "srv/alice/.ssh"), nil, os.ModeDir|0o700, 1500, 1500)
	wantContains(t, "/etc/hostname", f("etc/hostname"), "osbk.example.com\n")
	wantContains(t, "/etc/hosts", f("etc/hosts"), "127.0.1.1\tosbk.example.com\tosbk\n")
	if l, err := os.Readlink(filepath.Join(tree, "etc/localtime")); err != nil || l != "/usr/share/zoneinfo/Europe/Berlin" {
		t.Errorf("/etc/localtime -> %q (%v)", l, err)
	}
	wantContains(t, "/etc/timezone", f("etc/timezone"), "Europe/Berlin\n")
	wantContains(t, "/etc/default/locale", f("etc/default/locale"), "LANG=de_DE.UTF-8\n")
	wantContains(t, "/etc/locale.gen", f("etc/locale.gen"), "\nde_DE.UTF-8 UTF-8\n")
	if _, err := os.Stat(filepath.Join(tree, "usr/lib/locale/locale-archive")); err != nil {
		t.Errorf("locale-gen did not run: %v", err)
	}
	wantContains(t, "/etc/vconsole.conf", f("etc/vconsole.conf"), "KEYMAP=de\n")
	wantContains(t, "/etc/default/keyboard", f("etc/default/keyboard"), `XKBLAYOUT="de,us"`)
	wantContains(t, "/etc/machine-id", f("etc/machine-id"), "uninitialized\n")
	wantContains(t, "/etc/fstab", f("etc/fstab"),
		"UUID=6e4ff95f-f662-45ee-a82a-bdf44a2d0b75\t/\text4\terrors=remount-ro\t0\t1\n",
		"LABEL=ESP\t/boot/efi\tvfat\tumask=0077\t0\t2\n", "PARTUUID=12345678-02\tnone\tswap\tsw\t0\t0\n")
	if l, _ := os.Readlink(filepath.Join(tree, "etc/systemd/system/multi-user.target.wants/systemd-networkd.service")); l == "" {
		t.Error("systemd-networkd.service is not enabled")
	}
	if _, err := os.Lstat(filepath.Join(tree, "etc/systemd/system/multi-user.target.wants/ssh.service")); err == nil {
		t.Error("ssh.service is still enabled")
	}
	if l, _ := os.Readlink(filepath.Join(tree, "etc/systemd/system/systemd-timesyncd.service")); l != "/dev/null" {
		t.Errorf("systemd-timesyncd.service is not masked (-> %q)", l)
	}
	if l, _ := os.Readlink(filepath.Join(tree, "etc/systemd/system/default.target")); !strings.HasSuffix(l, "multi-user.target") {
		t.Errorf("default.target -> %q", l)
	}
	// With its source-epoch, the tree has no SSH host keys; a unit makes
	// them on first boot (the live ISO test boots one).
	if keys, _ := filepath.Glob(filepath.Join(tree, "etc/ssh/ssh_host_*")); len(keys) != 0 {
		t.Errorf("SSH host keys in a tree with a source-epoch: %v", keys)
	}
	if l, _ := os.Readlink(filepath.Join(tree, "etc/systemd/system/ssh.service.wants/ssh-host-keys.service")); l != "/etc/systemd/system/ssh-host-keys.service" {
		t.Errorf("ssh-host-keys.service is not wanted by ssh.service (-> %q)", l)
	}
	wantContains(t, "sshd drop-in", f("etc/ssh/sshd_config.d/50-osbuildkit.conf"), "ClientAliveInterval 120\nPasswordAuthentication no\nPermitRootLogin prohibit-password\n")
	wantContains(t, "tmpfiles.d", f("usr/lib/tmpfiles.d/osbk.conf"), "d /var/lib/osbk 0750 alice admins -\n")
	wantContains(t, "sysctl.d", f("usr/lib/sysctl.d/50-osbk.conf"), "net.ipv4.ip_forward = 1\n-kernel.yama.ptrace_scope\n")
	wantContains(t, "modprobe.d", f("usr/lib/modprobe.d/osbk.conf"), "blacklist nouveau\ninstall floppy /bin/false\n")
	// osbuild writes the command line without a final line break
	if got := f("etc/kernel/cmdline"); got != "root=UUID=6e4ff95f-f662-45ee-a82a-bdf44a2d0b75 console=ttyS0 quiet" {
		t.Errorf("/etc/kernel/cmdline = %q", got)
	}
}

// vertices reads BuildKit's rawjson progress: for each vertex name,
// whether it completed and whether any completion ran rather than coming
// from the cache (the CLI may solve twice: build, then export).
func vertices(t *testing.T, log string) map[string]vertexRuns {
	t.Helper()
	out := map[string]vertexRuns{}
	for _, st := range statuses(t, log) {
		for _, v := range st.Vertexes {
			if v.Completed == nil {
				continue
			}
			r := out[v.Name]
			r.completed = true
			if !v.Cached {
				r.ran = true
			}
			out[v.Name] = r
		}
	}
	return out
}

// rawStatus is one line of BuildKit's rawjson progress (client.SolveStatus),
// as far as the tests read it.
type rawStatus struct {
	Vertexes []struct {
		Digest    string     `json:"digest"`
		Name      string     `json:"name"`
		Completed *time.Time `json:"completed"`
		Cached    bool       `json:"cached"`
	} `json:"vertexes"`
	Warnings []rawWarning `json:"warnings"`
}

// rawWarning is client.VertexWarning as rawjson spells it.
type rawWarning struct {
	Vertex string `json:"vertex"`
	Short  []byte `json:"short"` // base64 in JSON
	Range  []struct {
		Start struct {
			Line int `json:"line"`
		} `json:"start"`
	} `json:"range"`
}

// statuses parses the rawjson lines of a build's output, skipping the rest.
func statuses(t *testing.T, log string) []rawStatus {
	t.Helper()
	var out []rawStatus
	sc := bufio.NewScanner(strings.NewReader(log))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var st rawStatus
		if json.Unmarshal(sc.Bytes(), &st) == nil {
			out = append(out, st)
		}
	}
	return out
}

type vertexRuns struct{ completed, ran bool }

func cached(v vertexRuns) bool { return v.completed && !v.ran }

// Changing only the hostname re-runs the hostname stage and what follows;
// debootstrap and apt come from the cache.
func TestHostnameChangeReusesCache(t *testing.T) {
	manifest := manifestFile(t, "integration/testdata/debian-config.json")
	buildTree(t, manifest, "tree")
	// A name this run has never built: buildkitd's cache outlives runs.
	renamed := fmt.Sprintf("renamed-%d.example.com", time.Now().UnixNano())
	changed := manifestFile(t, "integration/testdata/debian-config.json", func(s string) string {
		return strings.Replace(s, "osbk.example.com", renamed, 1)
	})
	tree, log := buildTree(t, changed, "tree")
	wantContains(t, "/etc/hostname", readFile(t, filepath.Join(tree, "etc/hostname")), renamed+"\n")
	// Nothing changed since: nothing is rebuilt or sent again.
	again := run(t, 0, cli, "build", "--progress", "plain", "--export", "tree", "--output-directory", filepath.Dir(tree), changed)
	wantContains(t, "unchanged rebuild", again, "nothing changed; the output is up to date")
	// openssh-server in a pipeline with a source-epoch: its host keys are
	// made at first boot, so no warning (a cached build's warnings are
	// TestDiskLayoutWarningWhenCached's).
	if strings.Contains(again, "generates SSH host keys") {
		t.Errorf("a host-key warning for a pipeline with a source-epoch:\n%s", tail(again, 10))
	}
	vs := vertices(t, log)
	for _, name := range []string{"[tree] org.osbuild.debootstrap", "[tree] org.osbuild.apt", "[tree] org.osbuild.users"} {
		if v, ok := vs[name]; !ok || !cached(v) {
			t.Errorf("%s was not taken from the cache (%v)", name, v)
		}
	}
	for _, name := range []string{"[tree] org.osbuild.hostname", "[tree] org.osbuild.timezone", "[tree] org.osbuild.locale"} {
		if v, ok := vs[name]; !ok || cached(v) {
			t.Errorf("%s should have re-run after the hostname change (%v)", name, v)
		}
	}
}

// osbuild's pattern: a "build" pipeline bootstraps the tools, later
// pipelines run on it.
func TestBuildPipeline(t *testing.T) {
	out, _ := buildTree(t, manifestFile(t, "integration/testdata/build-pipeline.json"), "archive")
	list, err := exec.Command("tar", "--zstd", "-tvf", filepath.Join(out, "os.tar.zst")).Output()
	if err != nil {
		t.Fatalf("listing os.tar.zst: %v", err)
	}
	wantContains(t, "os.tar.zst", string(list), "-rw------- root/root", "./etc/hostname", "./usr/bin/bash")
}

func TestUnknownPackageSuggests(t *testing.T) {
	manifest := manifestFile(t, "images/user-bootable-qcow2.json")
	out := run(t, 1, cli, "build", "--progress", "plain", "--export", "build", "--output-directory", t.TempDir(), manifest)
	wantContains(t, "build output", out, `unknown package "grub2-efi-amd64" (did you mean "grub-efi-amd64"?)`, "[build] stage 1 org.osbuild.apt")
}

func TestBadDebianOptionsFailBeforeBuilding(t *testing.T) {
	for name, tc := range map[string]struct{ edit, want string }{
		"unknown suite":   {`"suite": "bookworm"`, `"suite": "bookwrom"`},
		"bad arch":        {`"variant": "minbase",`, `"variant": "minbase", "arch": "amd46",`},
		"uid as a string": {`"root": {"password"`, `"bob": {"uid": "1500"}, "root": {"password"`},
		"relative home":   {`"home": "/srv/alice"`, `"home": "srv/alice"`},
		"dot-dot":         {`"filename": "osbk.conf", "config": [{"type": "d"`, `"filename": "../osbk.conf", "config": [{"type": "d"`},
		"bad user name":   {`"alice": {`, `"Alice Smith": {`},
	} {
		t.Run(name, func(t *testing.T) {
			manifest := manifestFile(t, "integration/testdata/debian-config.json", func(s string) string {
				if !strings.Contains(s, tc.edit) {
					t.Fatalf("test edit %q does not apply", tc.edit)
				}
				return strings.Replace(s, tc.edit, tc.want, 1)
			})
			out := run(t, 2, cli, "build", "--output-directory", t.TempDir(), manifest)
			if strings.Contains(out, "#1 ") {
				t.Errorf("the build started before the error:\n%s", out)
			}
			if !strings.Contains(out, ".pipelines[0].stages[") {
				t.Errorf("the error does not name the stage:\n%s", out)
			}
		})
	}
}

// On an empty builder, the apt stage after a bootstrap downloads no
// package list again: the bootstrap left the lists it downloaded in the
// apt stage's lists cache. (On the shared builder the lists are there
// from earlier builds anyway, so only a fresh one shows it.)
func TestAptTakesTheBootstrapsLists(t *testing.T) {
	hosts, err := os.ReadFile("/etc/hosts")
	if err != nil {
		t.Fatal(err)
	}
	addr := isolatedBuildkitd(t, string(hosts))
	log := run(t, 0, cli, "build", "--addr", addr, "--progress", "plain", "--export", "tree", "--output-directory", t.TempDir(),
		manifestFile(t, "integration/testdata/lock-small.json"))
	step := regexp.MustCompile(`(?m)^#(\d+) \[tree\] org\.osbuild\.apt$`).FindStringSubmatch(log)
	if step == nil {
		t.Fatalf("no apt step in the log:\n%s", tail(log, 30))
	}
	lines := regexp.MustCompile(`(?m)^#`+step[1]+` [0-9.]+ ((Get|Hit):\d+ .*)$`).FindAllStringSubmatch(log, -1)
	release := false
	for _, l := range lines {
		if strings.Contains(l[1], "InRelease") {
			release = true
		}
		if strings.Contains(l[1], "Packages") || strings.Contains(l[1], "Translation") {
			t.Errorf("the apt stage downloaded a package list again: %s", l[1])
		}
	}
	if !release {
		t.Errorf("the apt stage's update was not seen (no InRelease line):\n%s", tail(log, 40))
	}
}
