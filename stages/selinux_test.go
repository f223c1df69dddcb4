package stages

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func labelOf(t *testing.T, p string) string {
	t.Helper()
	buf := make([]byte, 256)
	n, err := unix.Lgetxattr(p, xattrSELinux, buf)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	return strings.TrimRight(string(buf[:n]), "\x00")
}

// TestSelinuxLabelsTree runs the helper side with the host's setfiles on
// a small tree and file_contexts; setting security.* attributes needs
// root (CAP_SYS_ADMIN) on the host.
func TestSelinuxLabelsTree(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("setting security.selinux needs root")
	}
	if _, err := exec.LookPath("setfiles"); err != nil {
		t.Fatal("setfiles is missing: hack/host-packages.sh installs policycoreutils")
	}
	rt, log := runtimeFor(t, "org.osbuild.selinux", map[string]any{
		"file_contexts":     "etc/selinux/default/contexts/files/file_contexts",
		"exclude_paths":     []string{"/var/cache"},
		"labels":            map[string]string{"/usr/bin/cp": "system_u:object_r:install_exec_t:s0"},
		"force_autorelabel": true,
	})
	tree := rt.Tree
	for _, d := range []string{"etc/selinux/default/contexts/files", "usr/bin", "var/cache/apt"} {
		if err := os.MkdirAll(filepath.Join(tree, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	fc := "/.*\tsystem_u:object_r:default_t:s0\n/etc(/.*)?\tsystem_u:object_r:etc_t:s0\n/usr/bin(/.*)?\tsystem_u:object_r:bin_t:s0\n"
	for name, data := range map[string]string{
		"etc/selinux/default/contexts/files/file_contexts": fc,
		"etc/passwd": "root\n", "usr/bin/cp": "", "usr/bin/ls": "", "var/cache/apt/x": "",
	} {
		if err := os.WriteFile(filepath.Join(tree, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := run(t, rt); err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	want := map[string]string{
		"etc/passwd": "system_u:object_r:etc_t:s0",
		"usr/bin/ls": "system_u:object_r:bin_t:s0",
		"usr/bin/cp": "system_u:object_r:install_exec_t:s0",
		"usr":        "system_u:object_r:default_t:s0",
	}
	for p, w := range want {
		if got := labelOf(t, filepath.Join(tree, p)); got != w {
			t.Errorf("%s: label %q, want %q", p, got, w)
		}
	}
	if got := labelOf(t, filepath.Join(tree, "var/cache/apt/x")); !strings.HasPrefix(got, "(") {
		t.Errorf("excluded var/cache/apt/x got label %q", got)
	}
	if data, err := os.ReadFile(filepath.Join(tree, ".autorelabel")); err != nil || string(data) != "-F" {
		t.Errorf(".autorelabel = %q, %v; want -F", data, err)
	}
}

func TestSelinuxPlan(t *testing.T) {
	p, err := planOf(t, `{"type": "org.osbuild.selinux", "options": {"file_contexts": "etc/selinux/default/contexts/files/file_contexts"}}`)
	if err != nil {
		t.Fatal(err)
	}
	if p.Exec == nil || p.Exec.Insecure || p.Exec.Root != RootBuildroot || len(p.Exec.Tools) == 0 {
		t.Errorf("plan %+v: want the buildroot with setfiles, without privileges", p.Exec)
	}
	for opts, want := range map[string]string{
		`{"labels": {"/a": "x"}, "target": "mount://root/"}`: `.pipelines[0].stages[0].options.target: the stage has no mount "root"`,
		`{"file_contexts": "../etc/file_contexts"}`:          `.pipelines[0].stages[0].options.file_contexts`,
		`{"labels": {"input://tree/a": "x"}}`:                `.pipelines[0].stages[0].options.labels["input://tree/a"]: the stage has no input "tree"`,
	} {
		_, err := planOf(t, `{"type": "org.osbuild.selinux", "options": `+opts+`}`)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", opts, err, want)
		}
	}
}
