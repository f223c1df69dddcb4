package sbom

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
)

// wanted are the files of a tree an SBOM reads, as Read extracts them.
func wanted(name string) bool {
	name = strings.TrimPrefix(path.Clean("/"+name), "/")
	switch name {
	case "var/lib/dpkg/status", "etc/os-release", "usr/lib/os-release":
		return true
	}
	dir, file := path.Split(name)
	return file == "copyright" && path.Dir(strings.TrimSuffix(dir, "/")) == "usr/share/doc"
}

// Read is what the SBOM of an existing export at p says: a tree (a
// directory), a tar archive (plain, gzip, zstd or xz) or an OCI archive
// of one, or a disk image (raw or qcow2, its ext4 file systems read with
// debugfs, not mounted).
func Read(p string, created time.Time) (Input, error) {
	in := Input{Name: filepath.Base(p), Created: created}
	fi, err := os.Stat(p)
	if err != nil {
		return in, err
	}
	root := p
	if !fi.IsDir() {
		in.File = filepath.Base(p)
		if in.FileSHA256, err = fileSHA256(p); err != nil {
			return in, err
		}
		tmp, err := os.MkdirTemp("", "osbuildkit-sbom-")
		if err != nil {
			return in, err
		}
		defer os.RemoveAll(tmp)
		if err := extract(p, tmp); err != nil {
			return in, fmt.Errorf("%s: %w", p, err)
		}
		root = filepath.Join(tmp, "tree")
	}
	if in.Packages, err = Installed(root); err != nil {
		return in, err
	}
	in.Distro = Distro(root)
	return in, nil
}

// extract writes the wanted files of the archive or disk image file into
// dir/tree, using dir for scratch.
func extract(file, dir string) error {
	head := make([]byte, 1024+512)
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	n, _ := io.ReadFull(f, head)
	f.Close()
	head = head[:n]
	out := filepath.Join(dir, "tree")
	switch {
	case bytes.HasPrefix(head, []byte("QFI\xfb")):
		raw := filepath.Join(dir, "disk.raw")
		if msg, err := exec.Command("qemu-img", "convert", "-f", "qcow2", "-O", "raw", file, raw).CombinedOutput(); err != nil {
			return fmt.Errorf("qemu-img convert: %w: %s", err, bytes.TrimSpace(msg))
		}
		return fromDisk(raw, out)
	case isArchive(head):
		return fromTar(file, head, out)
	case len(head) >= 512 && head[510] == 0x55 && head[511] == 0xaa, len(head) >= 1082 && head[1080] == 0x53 && head[1081] == 0xef:
		return fromDisk(file, out)
	}
	return errors.New("not a tree, a tar archive, nor a raw or qcow2 disk image")
}

// fromTar extracts the wanted regular files of a tar archive; of an OCI
// archive (an index.json and blobs), those of its image's layers, applied
// in order (fromOCI).
func fromTar(file string, head []byte, out string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	var layout ociLayout
	if err := extractTar(bufio.NewReader(f), head, out, &layout); err != nil {
		return err
	}
	if !layout.found() {
		return nil
	}
	return fromOCI(file, &layout, out)
}

// extractTar extracts the wanted regular files of the tar stream r, which
// head (its first bytes) says how it is compressed, and notes in layout
// what an OCI image layout would need.
func extractTar(r io.Reader, head []byte, out string, layout *ociLayout) error {
	return eachEntry(r, head, func(h *tar.Header, r io.Reader) error {
		if h.Typeflag != tar.TypeReg {
			return nil
		}
		if err := layout.note(h, r); err != nil {
			return err
		}
		if !wanted(h.Name) {
			return nil
		}
		return writeFile(filepath.Join(out, filepath.FromSlash(path.Clean("/"+h.Name))), r)
	})
}

// eachEntry calls fn with each entry of the tar stream r, which head (its
// first bytes) says how it is compressed, and its content.
func eachEntry(r io.Reader, head []byte, fn func(h *tar.Header, r io.Reader) error) error {
	r, done, err := decompress(r, head)
	if err != nil {
		return err
	}
	defer done()
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading the tar archive: %w", err)
		}
		if err := fn(h, tr); err != nil {
			return err
		}
	}
}

// isArchive says whether head begins a (gzip, zstd or xz compressed) tar
// archive.
func isArchive(head []byte) bool {
	return bytes.HasPrefix(head, []byte{0x1f, 0x8b}) || bytes.HasPrefix(head, []byte{0x28, 0xb5, 0x2f, 0xfd}) ||
		bytes.HasPrefix(head, []byte("\xfd7zXZ\x00")) || len(head) > 262 && string(head[257:262]) == "ustar"
}

// decompress is r decompressed as head says; done releases the
// decompressor.
func decompress(r io.Reader, head []byte) (io.Reader, func(), error) {
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		gz, err := gzip.NewReader(r)
		return gz, func() {}, err
	case bytes.HasPrefix(head, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(r)
		if err != nil {
			return nil, nil, err
		}
		return zr, zr.Close, nil
	case bytes.HasPrefix(head, []byte("\xfd7zXZ\x00")):
		cmd := exec.Command("xz", "-dc")
		cmd.Stdin = r
		pipe, err := cmd.StdoutPipe()
		if err != nil {
			return nil, nil, err
		}
		if err := cmd.Start(); err != nil {
			return nil, nil, fmt.Errorf("xz: %w", err)
		}
		return pipe, func() { _ = cmd.Wait() }, nil
	}
	return r, func() {}, nil
}

// writeFile writes r to dst, creating its directory.
func writeFile(dst string, r io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	w, err := os.Create(dst)
	if err != nil {
		return err
	}
	_, err = io.Copy(w, r)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return err
}

// fromDisk finds the ext4 file system of a raw disk image (a partition of
// its GPT or MBR table, or the whole image) that holds a dpkg database,
// and dumps the wanted files of it with debugfs.
func fromDisk(raw, out string) error {
	offsets := []int64{0}
	if data, err := exec.Command("sfdisk", "--json", raw).Output(); err == nil {
		var t struct {
			Table struct {
				SectorSize int64 `json:"sectorsize"`
				Partitions []struct {
					Start int64 `json:"start"`
				} `json:"partitions"`
			} `json:"partitiontable"`
		}
		if json.Unmarshal(data, &t) == nil {
			size := t.Table.SectorSize
			if size == 0 {
				size = 512
			}
			for _, p := range t.Table.Partitions {
				offsets = append(offsets, p.Start*size)
			}
		}
	}
	for _, off := range offsets {
		if err := debugfsDump(raw, off, out); err == nil {
			if _, err := os.Stat(filepath.Join(out, "var/lib/dpkg/status")); err == nil {
				return nil
			}
		}
	}
	return os.MkdirAll(out, 0o755) // no dpkg database: an SBOM of the image alone
}

// debugfsDump dumps the wanted files of the ext4 file system at offset of
// raw into out; an error when there is none there.
func debugfsDump(raw string, offset int64, out string) error {
	for _, d := range []string{"var/lib/dpkg", "usr/lib", "usr/share"} {
		if err := os.MkdirAll(filepath.Join(out, d), 0o755); err != nil {
			return err
		}
	}
	script := fmt.Sprintf("dump /var/lib/dpkg/status %q\ndump /usr/lib/os-release %q\nrdump /usr/share/doc %q\n",
		filepath.Join(out, "var/lib/dpkg/status"), filepath.Join(out, "usr/lib/os-release"), filepath.Join(out, "usr/share"))
	cmd := exec.Command("debugfs", "-f", "-", fmt.Sprintf("%s?offset=%d", raw, offset))
	cmd.Stdin = strings.NewReader(script)
	var errs bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &errs
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("debugfs: %w: %s", err, errs.String())
	}
	if strings.Contains(errs.String(), "Bad magic number") || strings.Contains(errs.String(), "Couldn't find valid filesystem superblock") {
		return errors.New("no ext4 file system")
	}
	return nil
}
