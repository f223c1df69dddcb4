//go:build integration

package integration

import (
	"archive/tar"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// checkFile asserts a file's content (when want is not nil), mode and owner.
func checkFile(t *testing.T, path string, want []byte, mode os.FileMode, uid, gid int) {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != mode {
		t.Errorf("%s: mode %v, want %v", path, fi.Mode(), mode)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if int(st.Uid) != uid || int(st.Gid) != gid {
		t.Errorf("%s: owner %d:%d, want %d:%d", path, st.Uid, st.Gid, uid, gid)
	}
	if want != nil {
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s: content %q, want %q", path, got, want)
		}
	}
}

// osbuild's docs/manifest.md: truncate, then chmod.
func TestDocTruncateChmod(t *testing.T) {
	for _, w := range ways {
		t.Run(w.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			w.build(t, manifestFile(t, "manifest/testdata/osbuild-docs/doc-1.json"), out, buildOpts{})
			checkFile(t, filepath.Join(out, "newfile"), nil, 0o444, 0, 0)
			if fi, _ := os.Stat(filepath.Join(out, "newfile")); fi == nil || fi.Size() != 1<<30 {
				t.Errorf("newfile size %v, want 1 GiB", fi)
			}
		})
	}
}

// osbuild's docs/manifest.md: mkdir, then copy an inline and a curl source.
func TestDocSources(t *testing.T) {
	for _, w := range ways {
		t.Run(w.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			w.build(t, manifestFile(t, "manifest/testdata/osbuild-docs/doc-3.json"), out, buildOpts{})
			checkFile(t, filepath.Join(out, "resources"), nil, os.ModeDir|0o755, 0, 0)
			checkFile(t, filepath.Join(out, "resources/inline-file"), []byte("I am an inline file\n"), 0o644, 0, 0)
			checkFile(t, filepath.Join(out, "resources/curl-file"), []byte("I am a file on the web\n"), 0o644, 0, 0)
		})
	}
}

// osbuild's docs/manifest.md: a second pipeline archives the first.
func TestDocTwoPipelineTar(t *testing.T) {
	for _, w := range ways {
		t.Run(w.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			w.build(t, manifestFile(t, "manifest/testdata/osbuild-docs/doc-5.json"), out, buildOpts{})
			entries := tarEntries(t, filepath.Join(out, "archive.tar"))
			for name, want := range map[string]string{"./newfile": "0444", "./resources/inline-file": "0644", "./resources/curl-file": "0644"} {
				h, ok := entries[name]
				if !ok {
					t.Errorf("archive.tar lacks %s (has %v)", name, keys(entries))
					continue
				}
				if got := os.FileMode(h.Mode).Perm().String(); got != os.FileMode(parseOctal(want)).String() {
					t.Errorf("%s: mode %s, want %s", name, got, want)
				}
				// osbuild's tar stage stores names too, unless numeric-owner
				if h.Uid != 0 || h.Gid != 0 || h.Uname != "root" || h.Gname != "root" {
					t.Errorf("%s: owner %d:%d %s:%s, want 0:0 root:root", name, h.Uid, h.Gid, h.Uname, h.Gname)
				}
			}
		})
	}
	// --export picks the other pipeline.
	out := filepath.Join(t.TempDir(), "out")
	ways[0].build(t, manifestFile(t, "manifest/testdata/osbuild-docs/doc-5.json"), out, buildOpts{target: "files"})
	checkFile(t, filepath.Join(out, "resources/inline-file"), []byte("I am an inline file\n"), 0o644, 0, 0)
}

// osbuild's docs/manifest.md: a disk image with a loop device and a mount,
// which needs security.insecure.
func TestDocLoopbackDisk(t *testing.T) {
	manifest := manifestFile(t, "manifest/testdata/osbuild-docs/doc-7.json")
	for _, w := range ways {
		t.Run(w.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			w.build(t, manifest, out, buildOpts{insecure: true})
			img := filepath.Join(out, "disk.raw")
			got, err := exec.Command("debugfs", "-R", "cat /resources/inline-file", img).Output()
			if err != nil || string(got) != "I am an inline file\n" {
				t.Errorf("disk.raw: /resources/inline-file is %q (%v)", got, err)
			}
			uuid, _ := exec.Command("blkid", "-o", "value", "-s", "UUID", img).Output()
			if strings.TrimSpace(string(uuid)) != "90f06397-4919-4dc0-aab3-f42d01d2de4f" {
				t.Errorf("disk.raw UUID %q", uuid)
			}
		})
	}
	// Without the entitlement, every way fails before any stage runs,
	// naming the stages and the flag (the CLI as bad input: exit 2).
	for i, w := range ways {
		t.Run("without the entitlement/"+w.name, func(t *testing.T) {
			want := 1
			if i == 0 {
				want = 2
			}
			out := w.build(t, manifest, filepath.Join(t.TempDir(), "out"), buildOpts{want: want})
			wantContains(t, "output", out, "org.osbuild.mkfs.ext4 (.pipelines[1].stages[1])", "org.osbuild.copy (.pipelines[1].stages[2])", "--allow security.insecure")
			if strings.Contains(out, "] org.osbuild.") {
				t.Errorf("a stage ran before the entitlement check:\n%s", tail(out, 30))
			}
		})
	}
}

func tarEntries(t *testing.T, path string) map[string]*tar.Header {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]*tar.Header{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("reading %s: %v", path, err)
		}
		out[h.Name] = h
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func parseOctal(s string) uint32 {
	var n uint32
	for _, c := range s {
		n = n*8 + uint32(c-'0')
	}
	return n
}
