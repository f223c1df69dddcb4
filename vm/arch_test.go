package vm

import (
	"bytes"
	"compress/gzip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func must(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

// espDisk writes a 64 MiB disk (label "gpt" or "dos") whose EFI system
// partition, at 1 MiB, holds loader as EFI/BOOT/<loader> ("" for none,
// esp false for no EFI system partition at all).
func espDisk(t *testing.T, label, loader string, esp bool) string {
	t.Helper()
	for _, tool := range []string{"sfdisk", "mkfs.fat", "mmd", "mcopy", "qemu-img"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s: run `make env` (the host's disk tools)", tool)
		}
	}
	raw := filepath.Join(t.TempDir(), "disk.raw")
	must(t, "truncate", "-s", "64M", raw)
	typ := map[string]string{"gpt": "C12A7328-F81F-11D2-BA4B-00A0C93EC93B", "dos": "ef"}[label]
	if !esp {
		typ = map[string]string{"gpt": "0FC63DAF-8483-4772-8E79-3D69D8477DE4", "dos": "83"}[label]
	}
	cmd := exec.Command("sfdisk", "-q", raw)
	cmd.Stdin = strings.NewReader("label: " + label + "\nstart=2048, size=40960, type=" + typ + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sfdisk: %v\n%s", err, out)
	}
	must(t, "mkfs.fat", "--offset", "2048", raw, "20480")
	if loader != "" {
		f := filepath.Join(t.TempDir(), "loader")
		os.WriteFile(f, []byte("MZ"), 0o644)
		must(t, "mmd", "-i", raw+"@@1M", "::/EFI", "::/EFI/BOOT")
		must(t, "mcopy", "-i", raw+"@@1M", f, "::/EFI/BOOT/"+loader)
	}
	return raw
}

// A disk's architecture is its EFI system partition's loader's, in any
// format and partition table; a disk without one tells none.
func TestDetectArchOfDisks(t *testing.T) {
	for _, c := range []struct {
		label, loader string
		esp           bool
		qcow2         bool
		want, by      string
	}{
		{"gpt", "BOOTAA64.EFI", true, true, "arm64", "EFI/BOOT/BOOTAA64.EFI"},
		{"gpt", "BOOTX64.EFI", true, false, "amd64", "EFI/BOOT/BOOTX64.EFI"},
		{"dos", "BOOTAA64.EFI", true, true, "arm64", "EFI/BOOT/BOOTAA64.EFI"},
		{"gpt", "", true, true, "", ""},
		{"gpt", "BOOTAA64.EFI", false, false, "", ""},
	} {
		img, format := espDisk(t, c.label, c.loader, c.esp), "raw"
		if c.qcow2 {
			q := img + ".qcow2"
			must(t, "qemu-img", "convert", "-c", "-O", "qcow2", img, q)
			img, format = q, "qcow2"
		}
		arch, by, err := DetectArch(img, format, false)
		if err != nil || arch != c.want || by != c.by {
			t.Errorf("%+v: got %q %q %v", c, arch, by, err)
		}
	}
}

// An ISO's is the loader named in it, also across the reads' boundary; an
// ISO naming both, or neither, tells none.
func TestDetectArchOfISOs(t *testing.T) {
	for _, c := range []struct {
		names []string
		want  string
	}{
		{[]string{"BOOTAA64.EFI;1"}, "arm64"},
		{[]string{"BOOTX64 EFI"}, "amd64"},
		{[]string{"BOOTX64.EFI;1", "BOOTAA64EFI"}, ""},
		{nil, ""},
	} {
		var b bytes.Buffer
		b.Write(make([]byte, 4<<20-5)) // the first name straddles the first read's end
		for _, n := range c.names {
			b.WriteString(n)
			b.Write(make([]byte, 3000))
		}
		iso := filepath.Join(t.TempDir(), "x.iso")
		if err := os.WriteFile(iso, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		if arch, _, err := DetectArch(iso, "raw", true); err != nil || arch != c.want {
			t.Errorf("%q: got %q %v, want %q", c.names, arch, err, c.want)
		}
	}
}

// A kernel's architecture is its boot header's: an x86 bzImage's "HdrS",
// an arm64 Image's "ARM\x64", gzipped or not; anything else tells none.
func TestKernelArch(t *testing.T) {
	dir := t.TempDir()
	header := func(at int, magic string) []byte {
		b := make([]byte, 4096)
		copy(b[at:], magic)
		return b
	}
	gz := func(b []byte) []byte {
		var out bytes.Buffer
		z := gzip.NewWriter(&out)
		z.Write(b)
		z.Close()
		return out.Bytes()
	}
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"bzImage", header(0x202, "HdrS"), "amd64"},
		{"Image", header(0x38, "ARM\x64"), "arm64"},
		{"Image.gz", gz(header(0x38, "ARM\x64")), "arm64"},
		{"other", header(0x38, "RISCV\x00\x00\x00"), ""},
		{"short", []byte("ARM"), ""},
	} {
		f := filepath.Join(dir, c.name)
		if err := os.WriteFile(f, c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := KernelArch(f)
		if err != nil || got != c.want {
			t.Errorf("%s: %q, %v; want %q", c.name, got, err, c.want)
		}
	}
	if _, err := KernelArch(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing kernel: no error")
	}
	broken := filepath.Join(dir, "broken.gz")
	os.WriteFile(broken, []byte{0x1f, 0x8b, 0, 0}, 0o644)
	if _, err := KernelArch(broken); err == nil {
		t.Error("a broken gzipped kernel: no error")
	}
}
