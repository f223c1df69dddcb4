//go:build integration

package integration

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// An arm64 minbase tree built on this amd64 builder, its maintainer
// scripts run through the binfmt_misc handler make env registers, exported
// as a tar: its bash is an aarch64 ELF, dpkg installed arm64 packages
// only, and its SBOM's purls say arm64.
func TestArm64TreeAsTar(t *testing.T) {
	if _, err := os.Stat("/proc/sys/fs/binfmt_misc/qemu-aarch64"); err != nil {
		t.Fatalf("no arm64 binfmt_misc handler on this host (make env registers it with hack/binfmt.sh): %v", err)
	}
	manifest := manifestFile(t, "integration/testdata/arm64-tar.json")
	out := t.TempDir()
	run(t, 0, cli, "build", "--progress", "plain", "--sbom", "--export", "tar", "--output-directory", out, manifest)
	files := tarFiles(t, filepath.Join(out, "tar", "arm64.tar"), "./usr/bin/bash", "./var/lib/dpkg/status")
	f, err := elf.NewFile(bytes.NewReader(files["./usr/bin/bash"]))
	if err != nil {
		t.Fatalf("/usr/bin/bash: %v", err)
	}
	if f.Machine != elf.EM_AARCH64 {
		t.Errorf("/usr/bin/bash is for %v, not aarch64", f.Machine)
	}
	status := string(files["./var/lib/dpkg/status"])
	if strings.Count(status, "\nArchitecture: arm64\n") < 50 || strings.Contains(status, "\nArchitecture: amd64\n") {
		t.Errorf("dpkg's status has %d arm64 packages and amd64 ones: %v", strings.Count(status, "\nArchitecture: arm64\n"), strings.Contains(status, "Architecture: amd64"))
	}
	d, _ := readSPDX(t, filepath.Join(out, "tar", "arm64.tar.spdx.json"))
	checkNTIA(t, "the arm64 SBOM", d)
	for _, deb := range d.debs() {
		if !strings.HasSuffix(deb, " arm64") && !strings.HasSuffix(deb, " all") {
			t.Errorf("SBOM package %s is neither arm64 nor all", deb)
		}
	}
}

// Without the handler, the bootstrap fails before it downloads anything,
// saying what to register.
func TestArm64WithoutBinfmtSaysHow(t *testing.T) {
	if _, err := os.Stat("/proc/sys/fs/binfmt_misc/qemu-aarch64"); err != nil {
		t.Fatalf("no arm64 binfmt_misc handler to disable: %v", err)
	}
	if out, err := exec.Command("update-binfmts", "--disable", "qemu-aarch64").CombinedOutput(); err != nil {
		t.Fatalf("update-binfmts --disable: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("update-binfmts", "--enable", "qemu-aarch64").CombinedOutput(); err != nil {
			t.Errorf("update-binfmts --enable: %v: %s", err, out)
		}
	})
	manifest := manifestFile(t, "integration/testdata/arm64-tar.json")
	out := run(t, 1, cli, "build", "--progress", "plain", "--no-cache-stage", "org.osbuild.debootstrap", "--export", "tree", "--output-directory", t.TempDir(), manifest)
	wantContains(t, "the build without binfmt", out, "this builder cannot run arm64 programs", "update-binfmts --enable qemu-aarch64")
	if strings.Contains(out, "Retrieving") || strings.Contains(out, "Exec format error") {
		t.Errorf("the bootstrap went on without the handler:\n%s", tail(out, 20))
	}
}

// tarFiles reads the named regular files of a tar archive.
func tarFiles(t *testing.T, path string, names ...string) map[string][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			if h.Name == n {
				out[n], _ = io.ReadAll(tr)
			}
		}
	}
	for _, n := range names {
		if _, ok := out[n]; !ok {
			t.Fatalf("%s has no %s", path, n)
		}
	}
	return out
}

// An apt stage that contradicts the tree's architecture (an arm64
// bootstrap, linux-image-amd64) fails naming the package and both
// architectures, before installing anything.
func TestArm64TreeWithAmd64Package(t *testing.T) {
	manifest := manifestFile(t, "integration/testdata/arm64-tar.json", func(s string) string {
		return strings.Replace(s, `"arch": "arm64"}}`, `"arch": "arm64"}}, {"type": "org.osbuild.apt", "options": {"packages": ["linux-image-amd64"]}}`, 1)
	})
	out := run(t, 1, cli, "build", "--progress", "plain", "--export", "tree", "--output-directory", t.TempDir(), manifest)
	wantContains(t, "the build", out, `package "linux-image-amd64" is for amd64, and this tree is arm64`, "[tree] stage 1 org.osbuild.apt")
}

// A package of another architecture than the tree's (libc6:i386 in an
// amd64 tree) installs: the stage adds the architecture to dpkg first,
// and the i386 libc lands beside the tree's own.
func TestForeignArchitecturePackage(t *testing.T) {
	manifest := manifestFile(t, "integration/testdata/arm64-tar.json", func(s string) string {
		return strings.Replace(s, `, "arch": "arm64"}}`, `}}, {"type": "org.osbuild.apt", "options": {"packages": ["libc6:i386"]}}`, 1)
	})
	out := t.TempDir()
	// The tree's dpkg lists i386 (its step may come from the cache, so
	// the tree says it, not the log).
	run(t, 0, cli, "build", "--progress", "plain", "--export", "tar", "--output-directory", out, manifest)
	files := tarFiles(t, filepath.Join(out, "tar", "arm64.tar"), "./usr/lib/i386-linux-gnu/libc.so.6", "./var/lib/dpkg/arch", "./usr/bin/bash")
	if f, err := elf.NewFile(bytes.NewReader(files["./usr/lib/i386-linux-gnu/libc.so.6"])); err != nil || f.Machine != elf.EM_386 {
		t.Errorf("/usr/lib/i386-linux-gnu/libc.so.6 is not an i386 ELF: %v", err)
	}
	if f, err := elf.NewFile(bytes.NewReader(files["./usr/bin/bash"])); err != nil || f.Machine != elf.EM_X86_64 {
		t.Errorf("/usr/bin/bash is not amd64's: %v", err)
	}
	if arches := strings.Fields(string(files["./var/lib/dpkg/arch"])); !slices.Equal(arches, []string{"amd64", "i386"}) {
		t.Errorf("dpkg's architectures: %q", arches)
	}
}
