package stages

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const preptreeKver = "6.1.0-28-amd64"

// preptreeFixture is a small Debian-like tree with a kernel, dracut and
// Debian's ostree dracut module, and a fake dracut on PATH that records
// its arguments.
func preptreeFixture(t *testing.T, options any) (rt *Runtime, dracutLog string) {
	t.Helper()
	rt, _ = runtimeFor(t, "org.osbuild.ostree.preptree", options)
	files := map[string]string{
		"usr/bin/dracut": "", "usr/lib/dracut/modules.d/98ostree/module-setup.sh": "",
		"usr/lib/modules/" + preptreeKver + "/modules.dep": "",
		"boot/vmlinuz-" + preptreeKver:                     "kernel", "boot/config-" + preptreeKver: "config",
		"boot/initrd.img-" + preptreeKver: "old", "boot/grub/grub.cfg": "",
		"etc/passwd":          "root:x:0:0:root:/root:/bin/bash\nmessagebus:x:100:101::/nonexistent:/usr/sbin/nologin\nalice:x:1000:1000::/home/alice:/bin/bash\n",
		"etc/group":           "root:x:0:\nmessagebus:x:101:\nwheel:x:10:alice\nalice:x:1000:\n",
		"etc/machine-id":      "0123456789abcdef0123456789abcdef\n",
		"etc/nsswitch.conf":   "passwd:         files systemd\ngroup:          files systemd\nhosts: files dns\n",
		"var/lib/dpkg/status": "Package: x\n", "var/log/dpkg.log": "x", "var/cache/apt/pkgcache.bin": "",
		"usr/lib/tmpfiles.d/var.conf": "# Debian's systemd\nd /var/cache 0755 - - -\n",
		"usr/local/bin/.keep":         "", "home/alice/.bashrc": "", "opt/x": "", "root/.bashrc": "", "tmp/junk": "",
	}
	for p, data := range files {
		noErr(t, os.MkdirAll(filepath.Join(rt.Tree, filepath.Dir(p)), 0o755))
		noErr(t, os.WriteFile(filepath.Join(rt.Tree, p), []byte(data), 0o644))
	}
	noErr(t, os.MkdirAll(filepath.Join(rt.Tree, "var/tmp"), 0o755))
	noErr(t, os.Chmod(filepath.Join(rt.Tree, "var/tmp"), 0o1777|os.ModeSticky))
	noErr(t, os.Symlink("/run", filepath.Join(rt.Tree, "var/run")))
	noErr(t, os.Symlink("usr/lib", filepath.Join(rt.Tree, "lib")))
	noErr(t, os.Symlink("boot/vmlinuz-"+preptreeKver, filepath.Join(rt.Tree, "vmlinuz")))
	bin := t.TempDir()
	dracutLog = filepath.Join(bin, "args")
	script := "#!/bin/sh\necho \"$@\" > " + dracutLog + "\nfor last; do :; done\necho initramfs > \"$last\"\n"
	noErr(t, os.WriteFile(filepath.Join(bin, "dracut"), []byte(script), 0o755))
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
	return rt, dracutLog
}

func readTree(t *testing.T, rt *Runtime, p string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(rt.Tree, p))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// A Debian tree in OSTree's layout, as osbuild's stage and rpm-ostree
// leave a Fedora one.
func TestPreptreeLayout(t *testing.T) {
	rt, dracutLog := preptreeFixture(t, map[string]any{"initramfs-args": []string{"--omit", "plymouth"}, "etc_group_members": []string{"wheel"}})
	noErr(t, run(t, rt))
	mod := "usr/lib/modules/" + preptreeKver + "/"
	for p, want := range map[string]string{mod + "vmlinuz": "kernel", mod + "config": "config", mod + "initramfs.img": "initramfs\n",
		"etc/machine-id": "", "usr/lib/sysimage/dpkg/status": "Package: x\n"} {
		if got := readTree(t, rt, p); got != want {
			t.Errorf("%s = %q, want %q", p, got, want)
		}
	}
	dargs, err := os.ReadFile(dracutLog)
	noErr(t, err)
	wantAll(t, "dracut's arguments", string(dargs), "--no-hostonly --kver "+preptreeKver+" --reproducible -v --add ostree --omit plymouth --force ")
	if boot, _ := os.ReadDir(filepath.Join(rt.Tree, "boot")); len(boot) != 0 {
		t.Errorf("/boot keeps %v", boot)
	}
	var top []string
	entries, _ := os.ReadDir(rt.Tree)
	for _, e := range entries {
		top = append(top, e.Name())
	}
	want := []string{"boot", "etc", "home", "lib", "media", "mnt", "opt", "ostree", "root", "srv", "sysroot", "tmp", "usr", "var"}
	if !slices.Equal(top, want) {
		t.Errorf("top level %q, want %q", top, want)
	}
	for link, target := range map[string]string{"home": "var/home", "root": "var/roothome", "ostree": "sysroot/ostree", "media": "run/media", "usr/local": "../var/usrlocal"} {
		if got, err := os.Readlink(filepath.Join(rt.Tree, link)); err != nil || got != target {
			t.Errorf("%s -> %q (%v), want %q", link, got, err, target)
		}
	}
	if fi, err := os.Stat(filepath.Join(rt.Tree, "tmp")); err != nil || fi.Mode()&os.ModeSticky == 0 || fi.Mode().Perm() != 0o777 {
		t.Errorf("/tmp: %v %v", fi, err)
	}
	if v, _ := os.ReadDir(filepath.Join(rt.Tree, "var")); len(v) != 0 {
		t.Errorf("/var keeps %v", v)
	}
	conf := readTree(t, rt, autovarConf)
	wantAll(t, autovarConf, conf, "d /var/tmp 1777 ", "L /var/run - - - - /run\n", "d /var/home/alice 0755 ",
		"d /var/usrlocal/bin 0755 ", "L /var/lib/dpkg - - - - ../../usr/lib/sysimage/dpkg\n", "d /var/cache/apt 0755 ")
	for _, gone := range []string{"/var/log/dpkg.log", "/var/lib/dpkg/", "pkgcache", "d /var/cache "} {
		if strings.Contains(conf, gone) {
			t.Errorf("%s has a line for %s", autovarConf, gone)
		}
	}
	// Without nss-altfiles (Debian), passwd and group stay whole.
	if got := readTree(t, rt, "etc/passwd"); !strings.Contains(got, "alice:") || exists(filepath.Join(rt.Tree, "usr/lib/passwd")) {
		t.Errorf("passwd was split without nss-altfiles: %q", got)
	}
}

// With nss-altfiles in the tree, users and groups move to /usr/lib as
// rpm-ostree moves them; etc_group_members stay in /etc/group.
func TestPreptreeSplitsUsersWithAltfiles(t *testing.T) {
	rt, _ := preptreeFixture(t, map[string]any{"etc_group_members": []string{"wheel"}, "tmp-is-dir": false})
	noErr(t, os.MkdirAll(filepath.Join(rt.Tree, "usr/lib/x86_64-linux-gnu"), 0o755))
	noErr(t, os.WriteFile(filepath.Join(rt.Tree, "usr/lib/x86_64-linux-gnu/libnss_altfiles.so.2"), nil, 0o644))
	noErr(t, run(t, rt))
	for p, want := range map[string]string{
		"etc/passwd":     "root:x:0:0:root:/root:/bin/bash\n",
		"usr/lib/passwd": "messagebus:x:100:101::/nonexistent:/usr/sbin/nologin\nalice:x:1000:1000::/home/alice:/bin/bash\n",
		"etc/group":      "root:x:0:\nwheel:x:10:alice\n",
		"usr/lib/group":  "messagebus:x:101:\nalice:x:1000:\n",
	} {
		if got := readTree(t, rt, p); got != want {
			t.Errorf("%s = %q, want %q", p, got, want)
		}
	}
	wantAll(t, "nsswitch.conf", readTree(t, rt, "etc/nsswitch.conf"), "passwd:         files altfiles systemd\n", "group:          files altfiles systemd\n", "hosts: files dns")
	if got, err := os.Readlink(filepath.Join(rt.Tree, "tmp")); err != nil || got != "sysroot/tmp" {
		t.Errorf("tmp-is-dir false: /tmp -> %q (%v)", got, err)
	}
}

// Trees the layout cannot be made of fail, saying what to install.
func TestPreptreeRefuses(t *testing.T) {
	for name, c := range map[string]struct {
		change func(t *testing.T, tree string)
		want   string
	}{
		"no kernel": {func(t *testing.T, tr string) { noErr(t, os.Remove(filepath.Join(tr, "boot/vmlinuz-"+preptreeKver))) }, "the tree has no kernel"},
		"two kernels": {func(t *testing.T, tr string) {
			noErr(t, os.MkdirAll(filepath.Join(tr, "usr/lib/modules/6.2/x"), 0o755))
			noErr(t, os.WriteFile(filepath.Join(tr, "boot/vmlinuz-6.2"), nil, 0o644))
		}, "the tree has 2 kernels"},
		"no dracut": {func(t *testing.T, tr string) { noErr(t, os.Remove(filepath.Join(tr, "usr/bin/dracut"))) }, "install Debian's dracut and ostree-boot"},
		"no ostree mod": {func(t *testing.T, tr string) {
			noErr(t, os.RemoveAll(filepath.Join(tr, "usr/lib/dracut/modules.d/98ostree")))
		}, "install Debian's ostree-boot"},
		"twice": {func(t *testing.T, tr string) { noErr(t, os.MkdirAll(filepath.Join(tr, "usr/etc"), 0o755)) }, "in OSTree's layout already"},
	} {
		t.Run(name, func(t *testing.T) {
			rt, _ := preptreeFixture(t, map[string]any{})
			c.change(t, rt.Tree)
			if err := run(t, rt); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want %q", err, c.want)
			}
		})
	}
}

// /etc moves to /usr/etc and the sandbox's mount points are made empty
// after the helper, outside of its container.
func TestPreptreePlan(t *testing.T) {
	p, err := planOf(t, `{"type": "org.osbuild.ostree.preptree", "options": {"tmp-is-dir": true}}`)
	noErr(t, err)
	if p.Exec == nil || p.Exec.Root != RootTree {
		t.Fatalf("plan %+v: want the helper in the tree", p)
	}
	if c := p.Files[0].Copy; c == nil || c.Src != "/etc" || c.Dest != "/usr/etc" || !c.ContentsOnly {
		t.Errorf("first file action %+v, want /etc copied to /usr/etc", p.Files[0])
	}
	if rm := p.Files[1].Rm; rm == nil || rm.Path != "/etc" || rm.AllowNotFound {
		t.Errorf("second file action %+v, want /etc removed", p.Files[1])
	}
	var made []string
	for _, f := range p.Files {
		if f.Mkdir != nil {
			made = append(made, f.Mkdir.Path)
		}
	}
	if want := []string{"/dev", "/proc", "/run", "/sys"}; !slices.Equal(made, want) {
		t.Errorf("made %q, want %q", made, want)
	}
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantAll fails unless s holds every one of want.
func wantAll(t *testing.T, what, s string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, s)
		}
	}
}
