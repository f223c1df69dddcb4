package standin

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
	"golang.org/x/sys/unix"
)

// The dpkg stand-ins: for each package dpkg unpacks it runs dpkg-split
// (is this a part of a split package?), dpkg-deb --control (extract the
// control files, through tar) and dpkg-deb --fsys-tarfile (the data
// archive, decompressed, which dpkg reads). Natively, the decompression
// and three emulated program starts per package go.

// nativeDpkgSplit is `dpkg-split -Qao OUT FILE` for a whole package: not
// a part, status 1, as dpkg asks of every file it installs.
func nativeDpkgSplit(args []string, _ io.Writer) error {
	if len(args) != 3 || args[0] != "-Qao" {
		return errNotMine
	}
	f, err := os.Open(args[2])
	if err != nil {
		return errNotMine
	}
	defer f.Close()
	r := bufio.NewReader(f)
	name, _, err := nextArMember(r, true)
	if err != nil || name != "debian-binary" {
		return errNotMine
	}
	return exitStatus(1)
}

// nativeDpkgDeb is `dpkg-deb --fsys-tarfile FILE` and `dpkg-deb --control
// FILE DIR`, for archives compressed as Debian's are (none, gzip, xz,
// zstd).
func nativeDpkgDeb(args []string, out io.Writer) error {
	switch {
	case len(args) == 2 && args[0] == "--fsys-tarfile":
		r, closer, err := debMember(args[1], "data.tar")
		if err != nil {
			return err
		}
		defer closer()
		_, err = io.Copy(out, r)
		return err
	case len(args) == 3 && args[0] == "--control":
		r, closer, err := debMember(args[1], "control.tar")
		if err != nil {
			return err
		}
		defer closer()
		return extractControl(r, args[2])
	}
	return errNotMine
}

// debMember is the decompressed member of a .deb whose name starts with
// prefix; errNotMine when the file or its compression is not one the
// stand-in reads.
func debMember(path, prefix string) (io.Reader, func(), error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, errNotMine
	}
	r := bufio.NewReaderSize(f, 1<<20)
	first := true
	for {
		name, size, err := nextArMember(r, first)
		first = false
		if err != nil {
			f.Close()
			return nil, nil, errNotMine
		}
		if !strings.HasPrefix(name, prefix) {
			if _, err := r.Discard(int(size + size%2)); err != nil {
				f.Close()
				return nil, nil, errNotMine
			}
			continue
		}
		member := io.LimitReader(r, size)
		var dr io.Reader
		closer := func() { f.Close() }
		switch strings.TrimPrefix(name, prefix) {
		case "":
			dr = member
		case ".gz":
			zr, err := gzip.NewReader(member)
			if err != nil {
				break
			}
			dr = zr
		case ".xz":
			xr, err := xz.NewReader(member)
			if err != nil {
				break
			}
			dr = xr
		case ".zst":
			zr, err := zstd.NewReader(member)
			if err != nil {
				break
			}
			dr, closer = zr, func() { zr.Close(); f.Close() }
		}
		if dr == nil {
			f.Close()
			return nil, nil, errNotMine
		}
		return dr, closer, nil
	}
}

// nextArMember reads an ar member's header (after the archive's magic,
// when first) and returns its name and size.
func nextArMember(r *bufio.Reader, first bool) (string, int64, error) {
	if first {
		magic := make([]byte, 8)
		if _, err := io.ReadFull(r, magic); err != nil || string(magic) != "!<arch>\n" {
			return "", 0, errors.New("not an ar archive")
		}
	}
	h := make([]byte, 60)
	if _, err := io.ReadFull(r, h); err != nil {
		return "", 0, err
	}
	if string(h[58:60]) != "`\n" {
		return "", 0, errors.New("a bad ar member header")
	}
	size, err := strconv.ParseInt(strings.TrimSpace(string(h[48:58])), 10, 64)
	if err != nil || size < 0 {
		return "", 0, errors.New("a bad ar member size")
	}
	return strings.TrimSuffix(strings.TrimSpace(string(h[:16])), "/"), size, nil
}

// extractControl is tar's extraction of a control archive into dir (made
// if missing) as dpkg-deb runs it: modes kept, times not (-m). Control
// archives hold files and directories only; anything else fails before
// anything is written.
func extractControl(r io.Reader, dir string) error {
	type entry struct {
		hdr  *tar.Header
		data []byte
	}
	var entries []entry
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("reading the control archive: %w", err)
		}
		name := filepath.Clean(hdr.Name)
		if filepath.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") {
			return fmt.Errorf("control archive member %q is outside its directory", hdr.Name)
		}
		if hdr.Typeflag != tar.TypeReg && hdr.Typeflag != tar.TypeDir {
			return errNotMine
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return err
		}
		entries = append(entries, entry{hdr, data})
	}
	if err := os.Mkdir(dir, 0o777); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	for _, e := range entries {
		p := filepath.Join(dir, filepath.Clean(e.hdr.Name))
		if e.hdr.Typeflag == tar.TypeDir {
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
		} else if err := os.WriteFile(p, e.data, 0o600); err != nil {
			return err
		}
		if err := os.Lchown(p, e.hdr.Uid, e.hdr.Gid); err != nil {
			return err
		}
		if err := unix.Chmod(p, uint32(e.hdr.Mode&0o7777)); err != nil {
			return err
		}
	}
	return nil
}
