package stages

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/osbuildkit/osbuildkit/manifest"
)

func TestMmdebstrapArgs(t *testing.T) {
	f := false
	got := mmdebstrapArgs(debootstrapOptions{Suite: "bookworm", Include: []string{"systemd"}, Exclude: []string{"nano"}, Components: []string{"main", "contrib"}, Arch: "arm64"}, "/t")
	want := []string{"--mode=root", "--skip=chroot/mount", "--format=directory", "--variant=minbase", "--components=main,contrib",
		"--architectures=arm64", "--include=systemd,nano-", "--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr", "bookworm", "/t", DefaultMirror}
	if !slices.Equal(got, want) {
		t.Errorf("args\n got %q\nwant %q", got, want)
	}
	got = mmdebstrapArgs(debootstrapOptions{Suite: "sid", Variant: "buildd", Mirror: "http://m/debian", MergedUsr: &f}, "/t")
	if !slices.Contains(got, "--variant=buildd") || !slices.Contains(got, "--hook-dir=/usr/share/mmdebstrap/hooks/no-merged-usr") || got[len(got)-1] != "http://m/debian" {
		t.Errorf("args %q", got)
	}
}

func TestDebootstrapRejectsUnknownSuite(t *testing.T) {
	m, err := manifest.Load("m.json", []byte(`{"version": "2", "pipelines": [{"name": "t", "stages": [{"type": "org.osbuild.debootstrap", "options": {"suite": "bookwrom"}}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = debootstrap{}.Plan(m.Pipelines[0].Stages[0])
	var le *manifest.LocationError
	if !errors.As(err, &le) || le.Path.String() != ".pipelines[0].stages[0].options.suite" || !strings.Contains(err.Error(), `did you mean "bookworm"?`) {
		t.Errorf("got %v", err)
	}
}

func TestEnableLocale(t *testing.T) {
	gen := "# en_US ISO-8859-1\n# en_US.UTF-8 UTF-8\n# de_DE.UTF-8 UTF-8\n"
	got, ok := enableLocale(gen, "en_US.UTF-8")
	if !ok || got != "# en_US ISO-8859-1\nen_US.UTF-8 UTF-8\n# de_DE.UTF-8 UTF-8\n" {
		t.Errorf("enableLocale = %q, %v", got, ok)
	}
	if _, ok := enableLocale(gen, "xx_XX.UTF-8"); ok {
		t.Error("an unknown locale was enabled")
	}
}

func TestPackageName(t *testing.T) {
	for in, want := range map[string]string{"sudo": "sudo", "linux-image-amd64=6.1": "linux-image-amd64", "vim/bookworm-backports": "vim", "libc6:i386": "libc6", "nano-": "", "lib*": ""} {
		if got := packageName(in); got != want {
			t.Errorf("packageName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFstabLine(t *testing.T) {
	if got := fstabLine(fstabEntry{Label: "ESP", VFSType: "vfat", Path: "/boot/efi", PassNo: 2}); got != "LABEL=ESP\t/boot/efi\tvfat\tdefaults\t0\t2" {
		t.Errorf("fstab line %q", got)
	}
}

func TestGrubConfig(t *testing.T) {
	timeout := 5
	cfg := grubConfig(grub2Options{RootFSUUID: "u-u-i-d", Config: grub2Config{Timeout: &timeout, Terminal: []string{"serial", "console"}, Serial: "serial --unit=0"}},
		[]string{"6.1.0-10-amd64", "6.1.0-9-amd64"}, "console=ttyS0")
	for _, want := range []string{RootMarker + "u-u-i-d\n", "set timeout=5\n", "serial --unit=0\nterminal_input serial console\nterminal_output serial console\n",
		"search --no-floppy --fs-uuid --set=root u-u-i-d\n", "linux /boot/vmlinuz-6.1.0-10-amd64 root=UUID=u-u-i-d ro console=ttyS0\n", "initrd /boot/initrd.img-6.1.0-9-amd64\n"} {
		if !strings.Contains(cfg, want) {
			t.Errorf("grub.cfg lacks %q:\n%s", want, cfg)
		}
	}
	if strings.Index(cfg, "6.1.0-10") > strings.Index(cfg, "6.1.0-9-amd64'") {
		t.Error("the newest kernel is not the first entry")
	}
}

func TestInstalledKernelsNeedsAKernel(t *testing.T) {
	rt, _ := runtimeFor(t, "org.osbuild.grub2", map[string]any{})
	if _, err := installedKernels(rt); err == nil || !strings.Contains(err.Error(), "install one (linux-image-amd64) before org.osbuild.grub2") {
		t.Errorf("got %v", err)
	}
	os.MkdirAll(filepath.Join(rt.Tree, "boot"), 0o755)
	os.WriteFile(filepath.Join(rt.Tree, "boot/vmlinuz-6.1.0-9-amd64"), nil, 0o644)
	if k, err := installedKernels(rt); err != nil || len(k) != 1 {
		t.Errorf("got %v, %v", k, err)
	}
}

func TestCompressorFallsBack(t *testing.T) {
	only := func(have ...string) func(string) (string, error) {
		return func(p string) (string, error) {
			if slices.Contains(have, p) {
				return "/usr/bin/" + p, nil
			}
			return "", os.ErrNotExist
		}
	}
	if got, _ := compressor("gzip", only("gzip")); !slices.Equal(got, []string{"--use-compress-program=gzip -n"}) {
		t.Errorf("gzip without pigz: %q", got)
	}
	if got, _ := compressor("gzip", only("pigz", "gzip")); !slices.Equal(got, []string{"--use-compress-program=pigz -n"}) {
		t.Errorf("gzip with pigz: %q", got)
	}
	if _, err := compressor("zstd", only()); err == nil || !strings.Contains(err.Error(), "needs zstd in the buildroot") {
		t.Errorf("zstd missing: %v", err)
	}
	if _, err := compressor("brotli", only()); err == nil {
		t.Error("unknown compression accepted")
	}
}

func TestUnstorableFindsSpecialFiles(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("mknod needs root")
	}
	tree := t.TempDir()
	os.MkdirAll(filepath.Join(tree, "dev"), 0o755)
	if err := exec.Command("mknod", filepath.Join(tree, "dev/null"), "c", "1", "3").Run(); err != nil {
		t.Fatal(err)
	}
	exec.Command("mkfifo", filepath.Join(tree, "fifo")).Run()
	os.WriteFile(filepath.Join(tree, "file"), nil, 0o644)
	got, err := unstorable(tree)
	if err != nil || !slices.Equal(got, []string{"./dev/null", "./fifo"}) {
		t.Errorf("unstorable = %q, %v", got, err)
	}
}
