package stages

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// While an initramfs is made, gzip's stand-in replaces the tree's gzip,
// and in a foreign tree the per-file programs' stand-ins replace theirs;
// the tree ends as it began, its /usr/bin's times included, also when fn
// fails.
func TestWithInitramfsTools(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("the foreign tree here is arm64")
	}
	for _, tc := range []struct {
		machine uint16
		foreign bool
		fail    error
	}{{183, true, nil}, {183, true, errors.New("mkinitramfs failed")}, {62, false, nil}, {0, false, nil}} {
		tree := t.TempDir()
		bin := filepath.Join(tree, "usr/bin")
		if err := os.MkdirAll(bin, 0o755); err != nil {
			t.Fatal(err)
		}
		if tc.machine != 0 {
			os.WriteFile(filepath.Join(bin, "dpkg"), elfHeader(tc.machine), 0o755)
		}
		for _, name := range []string{"cp", "mkdir", "realpath", "readlink", "gzip"} {
			os.WriteFile(filepath.Join(bin, name), []byte("the tree's "+name), 0o755)
		}
		old := []unix.Timespec{{Sec: 1500000000, Nsec: 1}, {Sec: 1600000000, Nsec: 2}}
		if err := unix.UtimesNanoAt(unix.AT_FDCWD, bin, old, 0); err != nil {
			t.Fatal(err)
		}
		before := treeFiles(t, tree)
		rt := &Runtime{Spec: Spec{Tree: tree}}
		err := withInitramfsTools(rt, func() error {
			for _, name := range []string{"cp", "mkdir", "realpath", "readlink", "modinfo", "gzip"} {
				b, _ := os.ReadFile(filepath.Join(bin, name))
				if got := string(b) == "#!"+HelperPath+" native\n"; got != (tc.foreign || name == "gzip") {
					t.Errorf("machine %d: %s is a stand-in: %v", tc.machine, name, got)
				}
			}
			if b, _ := os.ReadFile(filepath.Join(bin, ".osbuildkit-native-gzip")); string(b) != "the tree's gzip" {
				t.Errorf("machine %d: the tree's gzip set aside is %q", tc.machine, b)
			}
			return tc.fail
		})
		if !errors.Is(err, tc.fail) {
			t.Errorf("machine %d: %v, want %v", tc.machine, err, tc.fail)
		}
		if d := gocmp.Diff(treeFiles(t, tree), before); d != "" {
			t.Errorf("machine %d: the tree changed (-after +before):\n%s", tc.machine, d)
		}
	}
}

// treeFiles is every file's content and every directory's modification
// time.
func treeFiles(t *testing.T, tree string) map[string]string {
	t.Helper()
	files := map[string]string{}
	filepath.Walk(tree, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		if fi.IsDir() {
			files[p] = fi.ModTime().String()
		} else {
			b, _ := os.ReadFile(p)
			files[p] = string(b)
		}
		return nil
	})
	return files
}

// A program a package installs while its stand-in is in place stays the
// package's, and the directory keeps the time of that change.
func TestWithNativeToolsKeepsWhatPackagesInstall(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("the foreign tree here is arm64")
	}
	tree := t.TempDir()
	bin := filepath.Join(tree, "usr/bin")
	os.MkdirAll(bin, 0o755)
	os.WriteFile(filepath.Join(bin, "dpkg"), elfHeader(183), 0o755)
	os.WriteFile(filepath.Join(bin, "dpkg-deb"), []byte("old dpkg-deb"), 0o755)
	old := []unix.Timespec{{Sec: 1500000000}, {Sec: 1600000000}}
	unix.UtimesNanoAt(unix.AT_FDCWD, bin, old, 0)
	err := withNativeTools(&Runtime{Spec: Spec{Tree: tree}}, dpkgStandIns, "in the test", func() error {
		// dpkg upgrading itself: a new file renamed over the stand-in.
		os.WriteFile(filepath.Join(bin, "dpkg-deb.dpkg-new"), []byte("new dpkg-deb"), 0o755)
		return os.Rename(filepath.Join(bin, "dpkg-deb.dpkg-new"), filepath.Join(bin, "dpkg-deb"))
	})
	if err != nil {
		t.Fatal(err)
	}
	got := treeFiles(t, tree)
	want := map[string]string{
		tree: got[tree], filepath.Dir(bin): got[filepath.Dir(bin)], bin: got[bin],
		filepath.Join(bin, "dpkg"):     string(elfHeader(183)),
		filepath.Join(bin, "dpkg-deb"): "new dpkg-deb",
	}
	if d := gocmp.Diff(got, want); d != "" {
		t.Errorf("(-got +want):\n%s", d)
	}
	if st, _ := os.Stat(bin); st.ModTime().Unix() == old[1].Sec {
		t.Errorf("/usr/bin has its old time back after a package changed it")
	}
}
