package standin

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// meta is what cp -p keeps of a file, and its content.
type meta struct {
	Mode         uint32
	Uid, Gid     uint32
	Atim, Mtim   unix.Timespec
	Content, Lnk string
}

func metaOf(t *testing.T, p string) meta {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		t.Fatal(err)
	}
	m := meta{Mode: st.Mode, Uid: st.Uid, Gid: st.Gid, Atim: st.Atim, Mtim: st.Mtim}
	if st.Mode&unix.S_IFMT == unix.S_IFLNK {
		m.Lnk, _ = os.Readlink(p)
	} else {
		b, _ := os.ReadFile(p)
		m.Content = string(b)
	}
	return m
}

// The stand-in cp leaves the same file as GNU cp for initramfs-tools'
// arguments: a set-user-ID file of another owner, and a symbolic link,
// with their nanosecond times.
func TestNativeCpAsGNU(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.WriteFile(src, []byte("module bytes\x00\x01"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink("src", link); err != nil {
		t.Fatal(err)
	}
	if os.Getuid() == 0 {
		if err := os.Lchown(src, 1234, 5678); err != nil {
			t.Fatal(err)
		}
		if err := os.Lchown(link, 42, 43); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(src, 0o4751); err != nil {
		t.Fatal(err)
	}
	// Reading a file or a link sets its access time: both copies start
	// from these.
	times := []unix.Timespec{{Sec: 1000000000, Nsec: 123456789}, {Sec: 1100000000, Nsec: 987654321}}
	setTimes := func() {
		for _, p := range []string{src, link} {
			if err := unix.UtimesNanoAt(unix.AT_FDCWD, p, times, unix.AT_SYMLINK_NOFOLLOW); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tc := range []struct{ flag, from string }{{"-pP", src}, {"-pP", link}, {"-p", link}, {"-p", src}} {
		gnu, native := filepath.Join(dir, "gnu"), filepath.Join(dir, "native")
		os.Remove(gnu)
		os.Remove(native)
		setTimes()
		if out, err := exec.Command("cp", tc.flag, tc.from, gnu).CombinedOutput(); err != nil {
			t.Fatalf("GNU cp: %v: %s", err, out)
		}
		setTimes()
		if err := nativeCp([]string{tc.flag, tc.from, native}, nil); err != nil {
			t.Fatalf("cp %s %s: %v", tc.flag, tc.from, err)
		}
		if d := gocmp.Diff(metaOf(t, native), metaOf(t, gnu)); d != "" {
			t.Errorf("cp %s %s (-native +GNU):\n%s", tc.flag, filepath.Base(tc.from), d)
		}
	}
}

// Arguments outside initramfs-tools' use are left to the tree's program,
// before anything is changed.
func TestNativeCommandsLeaveTheRest(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "f")
	if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"cp", []string{"-pPr", f, dir + "/r"}},
		{"cp", []string{f, dir + "/plain"}},                       // no -p: the tree's umask decides
		{"cp", []string{"-p", f, f}},                              // an existing target
		{"cp", []string{"-p", f, dir}},                            // into a directory
		{"cp", []string{"-p", f, dir + "/no/such/dir/f"}},         // the tree's cp says why
		{"cp", []string{"-p", dir + "/missing", dir + "/m"}},      // the tree's cp says why
		{"cp", []string{"-p", "--", f, dir + "/dash"}},            // "--"
		{"mkdir", []string{dir + "/plain"}},                       // no -p
		{"mkdir", []string{"-m", "700", "-p", dir + "/m"}},        // a mode
		{"mkdir", []string{"-p", f + "/sub"}},                     // under a file
		{"realpath", []string{dir}},                               // follows links
		{"realpath", []string{"-s", "relative"}},                  // the tree's working directory
		{"realpath", []string{"-s", dir + "/a/../f"}},             // ".." through what may not exist
		{"realpath", []string{"-s", dir + "/no/such"}},            // a missing parent
		{"readlink", []string{dir}},                               // no -f
		{"readlink", []string{"-f", dir + "/no/such/x"}},          // missing
		{"modinfo", []string{"-F", "firmware", "e1000"}},          // a module's name
		{"modinfo", []string{"-F", "filename", f + ".ko"}},        // a field of modinfo's own
		{"modinfo", []string{"-F", "firmware", dir + "/x.ko.xz"}}, // compressed
		{"modinfo", []string{"-k", "6.1.0", "-F", "firmware", f}}, // not a module
	} {
		before := listDir(t, dir)
		var out bytes.Buffer
		if err := commands[tc.name](tc.args, &out); err != errNotMine {
			t.Errorf("%s %q: %v, want it left to the tree's program", tc.name, tc.args, err)
		}
		if d := gocmp.Diff(listDir(t, dir), before); d != "" || out.Len() > 0 {
			t.Errorf("%s %q changed the directory or wrote %q:\n%s", tc.name, tc.args, out.String(), d)
		}
	}
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	filepath.Walk(dir, func(p string, _ os.FileInfo, _ error) error {
		names = append(names, p)
		return nil
	})
	return names
}

// realpath -s and readlink -f print what GNU's do.
func TestNativePathsAsGNU(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"usr/lib/modules", "real"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(dir, "real/file"), nil, 0o644)
	os.Symlink("usr/lib", filepath.Join(dir, "lib"))
	os.Symlink("../../real/file", filepath.Join(dir, "usr/lib/link"))
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"realpath", []string{"-ms", dir + "//lib/modules/../x/./y/"}},
		{"realpath", []string{"-ms", "/" + dir + "/usr/lib/modules/6.1.0-arm64/kernel/a.ko"}},
		{"realpath", []string{"-s", dir + "/lib/link"}},
		{"realpath", []string{"-s", dir + "/lib/modules", dir + "//real/file"}},
		{"readlink", []string{"-f", dir + "/lib/link"}},
		{"readlink", []string{"-f", dir + "/lib/modules/", dir + "/real/./file"}},
		{"readlink", []string{"-f", dir + "/lib/nothing"}}, // a missing last component
	} {
		want, err := exec.Command(tc.name, tc.args...).Output()
		if err != nil {
			t.Fatalf("GNU %s %q: %v", tc.name, tc.args, err)
		}
		var got bytes.Buffer
		if err := commands[tc.name](tc.args, &got); err == errNotMine {
			if tc.name == "readlink" && strings.HasSuffix(tc.args[1], "nothing") {
				continue // left to the tree's readlink, which is right by definition
			}
			t.Errorf("%s %q left to the tree's program", tc.name, tc.args)
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		if got.String() != string(want) {
			t.Errorf("%s %q = %q, GNU says %q", tc.name, tc.args, got.String(), want)
		}
	}
}

// mkdir -p makes the directories as GNU mkdir does.
func TestNativeMkdir(t *testing.T) {
	dir := t.TempDir()
	if err := nativeMkdir([]string{"-p", dir + "/a/b/c", dir + "/a/d"}, nil); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mkdir", "-p", dir+"/g/b/c", dir+"/g/d").CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for _, p := range []string{"a", "a/b", "a/b/c", "a/d"} {
		n, g := metaOf(t, filepath.Join(dir, p)), metaOf(t, filepath.Join(dir, "g"+p[1:]))
		if n.Mode != g.Mode || n.Uid != g.Uid || n.Gid != g.Gid {
			t.Errorf("%s: mode %o uid %d gid %d, GNU %o %d %d", p, n.Mode, n.Uid, n.Gid, g.Mode, g.Uid, g.Gid)
		}
	}
	if err := nativeMkdir([]string{"-p", dir + "/a/b"}, nil); err != nil {
		t.Errorf("an existing directory: %v", err)
	}
}

// modinfo -F firmware lists a module's firmware entries in their order.
func TestNativeModinfo(t *testing.T) {
	ko := filepath.Join(t.TempDir(), "drv.ko")
	info := "license=GPL\x00firmware=rtl_nic/rtl8168d-1.fw\x00\x00\x00alias=pci:v*\x00firmware=rtl_nic/rtl8125a-3.fw\x00depends=\x00"
	if err := os.WriteFile(ko, elfWithSection(".modinfo", info), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := nativeModinfo([]string{"-k", "6.1.0-28-arm64", "-F", "firmware", ko}, &out); err != nil {
		t.Fatal(err)
	}
	if want := "rtl_nic/rtl8168d-1.fw\nrtl_nic/rtl8125a-3.fw\n"; out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
	out.Reset()
	os.WriteFile(ko, elfWithSection(".modinfo", "license=GPL\x00"), 0o644)
	if err := nativeModinfo([]string{"-F", "firmware", ko}, &out); err != nil || out.Len() != 0 {
		t.Errorf("a module without firmware: %q, %v", out.String(), err)
	}
}

// elfHeader is a 64-bit little-endian ELF header for machine.
func elfHeader(machine uint16) []byte {
	h := make([]byte, 64)
	copy(h, "\x7fELF\x02\x01\x01")
	binary.LittleEndian.PutUint16(h[18:], machine)
	binary.LittleEndian.PutUint32(h[20:], 1)
	binary.LittleEndian.PutUint16(h[52:], 64) // e_ehsize
	return h
}

// elfWithSection is a relocatable arm64 ELF file with one section (and the
// section names' table), as a kernel module holds its .modinfo.
func elfWithSection(name, data string) []byte {
	names := "\x00" + name + "\x00.shstrtab\x00"
	h := elfHeader(183)
	binary.LittleEndian.PutUint16(h[16:], 1) // ET_REL
	body := append([]byte(data), names...)
	shoff := uint64(len(h) + len(body))
	binary.LittleEndian.PutUint64(h[40:], shoff)
	binary.LittleEndian.PutUint16(h[58:], 64) // e_shentsize
	binary.LittleEndian.PutUint16(h[60:], 3)  // e_shnum
	binary.LittleEndian.PutUint16(h[62:], 2)  // e_shstrndx
	section := func(nameOff uint32, typ uint32, off, size int) []byte {
		s := make([]byte, 64)
		binary.LittleEndian.PutUint32(s[0:], nameOff)
		binary.LittleEndian.PutUint32(s[4:], typ)
		binary.LittleEndian.PutUint64(s[24:], uint64(off))
		binary.LittleEndian.PutUint64(s[32:], uint64(size))
		binary.LittleEndian.PutUint64(s[48:], 1)
		return s
	}
	out := append(h, body...)
	out = append(out, make([]byte, 64)...)                                              // the null section
	out = append(out, section(1, 1, len(h), len(data))...)                              // PROGBITS
	out = append(out, section(uint32(len(name)+2), 3, len(h)+len(data), len(names))...) // STRTAB
	return out
}

// Umask reads the mask without changing it, and agrees with the kernel.
func TestUmaskRead(t *testing.T) {
	old := unix.Umask(0o027)
	defer unix.Umask(old)
	if got := Umask(); got != 0o027 {
		t.Fatalf("Umask() = %04o, want 0027", got)
	}
	if now := unix.Umask(0o027); now != 0o027 {
		t.Fatalf("the mask is %04o after Umask()", now)
	}
}
