package vm

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// An image's architecture, when vm is not told it, is that of its UEFI
// loader: the removable-media path every UEFI image of ours has,
// EFI/BOOT/BOOTX64.EFI or BOOTAA64.EFI. A disk's is read from its EFI
// system partition (qemu-img dd, whatever the format; mtools), an ISO's
// from its directory records and its El Torito FAT image (the names in
// the file). An image with neither (BIOS only) boots as amd64.

// loaderArch is the architecture of each UEFI loader's file name, as FAT
// (8.3, upper case) and ISO 9660 spell it.
var loaderArch = []struct{ name, arch string }{
	{"BOOTX64.EFI", "amd64"},
	{"BOOTX64 EFI", "amd64"},
	{"BOOTAA64.EFI", "arm64"},
	{"BOOTAA64EFI", "arm64"},
}

// espType is the EFI system partition's GPT type, as it is on disk (the
// first three fields little-endian).
var espType = []byte{0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11, 0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b}

// DetectArch returns the architecture of the image's UEFI loader and the
// loader it went by, or "" when the image has none it can find.
func DetectArch(image, format string, cdrom bool) (arch, by string, err error) {
	if cdrom {
		return isoArch(image)
	}
	dir, err := os.MkdirTemp("", "osbuildkit-vm-arch-")
	if err != nil {
		return "", "", err
	}
	defer os.RemoveAll(dir)
	head := filepath.Join(dir, "head")
	if err := imageRange(image, format, head, 0, 1<<20); err != nil {
		return "", "", err
	}
	start, size, err := findESP(head)
	if err != nil || size == 0 {
		return "", "", err
	}
	esp := filepath.Join(dir, "esp")
	if err := imageRange(image, format, esp, start, size); err != nil {
		return "", "", err
	}
	cmd := exec.Command("mdir", "-b", "-i", esp, "::/EFI/BOOT/")
	cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
	out, err := cmd.Output()
	if err != nil {
		return "", "", nil // no EFI/BOOT directory
	}
	for _, line := range strings.Split(string(out), "\n") {
		name := strings.ToUpper(filepath.Base(strings.TrimSpace(line)))
		for _, l := range loaderArch {
			if name == l.name {
				return l.arch, "EFI/BOOT/" + name, nil
			}
		}
	}
	return "", "", nil
}

// imageRange writes size bytes of the image's disk from byte off to out,
// raw, in the largest blocks that divide both.
func imageRange(image, format, out string, off, size int64) error {
	bs := int64(1 << 20)
	for off%bs != 0 || size%bs != 0 {
		bs /= 2
	}
	if bs < 512 {
		return fmt.Errorf("a partition at byte %d, %d bytes, is not in whole sectors", off, size)
	}
	args := []string{"dd", "-O", "raw", fmt.Sprint("bs=", bs), fmt.Sprint("skip=", off/bs), fmt.Sprint("count=", size/bs), "if=" + image, "of=" + out}
	if format != "" {
		args = append([]string{"dd", "-f", format}, args[1:]...)
	}
	var stderr bytes.Buffer
	cmd := exec.Command("qemu-img", args...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("reading %s with qemu-img dd: %w: %s", image, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// findESP finds the EFI system partition in a disk's first MiB: a GPT
// entry of its type, or an MBR entry of type 0xef. size 0 is none.
func findESP(head string) (start, size int64, err error) {
	b, err := os.ReadFile(head)
	if err != nil {
		return 0, 0, err
	}
	if len(b) < 1024 || b[510] != 0x55 || b[511] != 0xaa {
		return 0, 0, nil
	}
	if bytes.Equal(b[512:520], []byte("EFI PART")) {
		entries := int64(binary.LittleEndian.Uint64(b[512+72:]))
		n := int64(binary.LittleEndian.Uint32(b[512+80:]))
		esize := int64(binary.LittleEndian.Uint32(b[512+84:]))
		for i := int64(0); i < n && esize >= 128; i++ {
			at := entries*512 + i*esize
			if at+esize > int64(len(b)) {
				break
			}
			e := b[at : at+esize]
			if bytes.Equal(e[:16], espType) {
				first, last := int64(binary.LittleEndian.Uint64(e[32:])), int64(binary.LittleEndian.Uint64(e[40:]))
				return first * 512, (last - first + 1) * 512, nil
			}
		}
		return 0, 0, nil
	}
	for i := 0; i < 4; i++ {
		e := b[446+16*i:]
		if e[4] == 0xef {
			return int64(binary.LittleEndian.Uint32(e[8:])) * 512, int64(binary.LittleEndian.Uint32(e[12:])) * 512, nil
		}
	}
	return 0, 0, nil
}

// isoArch looks for the loaders' names in an ISO: in its directory
// records and in the FAT image El Torito boots from, both in the file.
func isoArch(image string) (arch, by string, err error) {
	f, err := os.Open(image)
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	found := map[string]string{}
	buf := make([]byte, 4<<20)
	const overlap = 16
	var carry []byte
	for {
		n, err := io.ReadFull(f, buf)
		chunk := append(carry, buf[:n]...)
		for _, l := range loaderArch {
			if bytes.Contains(chunk, []byte(l.name)) {
				found[l.arch] = l.name
			}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return "", "", err
		}
		carry = append([]byte(nil), chunk[len(chunk)-overlap:]...)
	}
	if len(found) != 1 {
		return "", "", nil // none, or both
	}
	for a, name := range found {
		return a, strings.ReplaceAll(name, " ", "."), nil
	}
	return "", "", nil
}

// KernelArch is the architecture of a kernel given to boot directly, from
// its boot header: an x86 bzImage has "HdrS" at 0x202, an arm64 Image
// "ARM\x64" at 0x38 (Debian's arm64 vmlinuz is that Image gzipped). ""
// when neither header is there.
func KernelArch(kernel string) (string, error) {
	f, err := os.Open(kernel)
	if err != nil {
		return "", err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	var r io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		z, err := gzip.NewReader(br)
		if err != nil {
			return "", fmt.Errorf("reading the gzipped kernel %s: %w", kernel, err)
		}
		r = z
	}
	head := make([]byte, 0x240)
	n, err := io.ReadFull(r, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return "", fmt.Errorf("reading the kernel %s: %w", kernel, err)
	}
	head = head[:n]
	switch {
	case len(head) >= 0x206 && string(head[0x202:0x206]) == "HdrS":
		return "amd64", nil
	case len(head) >= 0x3c && string(head[0x38:0x3c]) == "ARM\x64":
		return "arm64", nil
	}
	return "", nil
}
