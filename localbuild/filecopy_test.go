package localbuild

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/moby/buildkit/client/llb"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	fstypes "github.com/tonistiigi/fsutil/types"
)

// dirRef is a result read from a directory, as BuildKit's gateway reads a
// result's mount.
type dirRef struct {
	root   string
	xattrs map[string]bool // paths to report extended attributes for
	short  bool            // ReadFile returns a byte less than asked
	mu     sync.Mutex      // ReadFile is called from several goroutines
	reads  int
}

func (r *dirRef) ToState() (llb.State, error)    { return llb.Scratch(), nil }
func (r *dirRef) Evaluate(context.Context) error { return nil }

func (r *dirRef) ReadFile(_ context.Context, req gateway.ReadRequest) ([]byte, error) {
	r.mu.Lock()
	r.reads++
	r.mu.Unlock()
	f, err := os.Open(filepath.Join(r.root, req.Filename))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, req.Range.Length)
	n, err := f.ReadAt(b, int64(req.Range.Offset))
	if err != nil && n != len(b) {
		return nil, err
	}
	if r.short {
		n--
	}
	return b[:n], nil
}

func (r *dirRef) stat(p string) (*fstypes.Stat, error) {
	fi, err := os.Lstat(filepath.Join(r.root, p))
	if err != nil {
		return nil, err
	}
	st := fi.Sys().(*syscall.Stat_t)
	s := &fstypes.Stat{Path: filepath.Base(p), Mode: uint32(fi.Mode()), Uid: st.Uid, Gid: st.Gid, Size: fi.Size(), ModTime: fi.ModTime().UnixNano()}
	if r.xattrs[p] {
		s.Xattrs = map[string][]byte{"user.x": []byte("1")}
	}
	return s, nil
}

func (r *dirRef) StatFile(_ context.Context, req gateway.StatRequest) (*fstypes.Stat, error) {
	return r.stat(req.Path)
}

func (r *dirRef) ReadDir(_ context.Context, req gateway.ReadDirRequest) ([]*fstypes.Stat, error) {
	entries, err := os.ReadDir(filepath.Join(r.root, req.Path))
	if err != nil {
		return nil, err
	}
	var out []*fstypes.Stat
	for _, e := range entries {
		st, err := r.stat(filepath.Join(strings.TrimPrefix(req.Path, "/"), e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// copyInto copies ref as an export solve would, into a fresh directory;
// begun says whether the copy created it.
func copyInto(t *testing.T, ref gateway.Reference) (dir string, begun bool, err error) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "out")
	c := &fileCopy{outDir: "OUT", begin: func() (string, error) { begun = true; return dir, os.Mkdir(dir, 0o755) }}
	err = c.copy(context.Background(), nil, &gateway.Result{Ref: ref}, nil)
	if err == nil && !c.copied {
		t.Error("copy succeeded without saying so")
	}
	return dir, begun, err
}

func TestFileCopy(t *testing.T) {
	src := t.TempDir()
	// A disk image: data at the start, in the middle of a chunk and at the
	// end, zeros between (three chunks and a bit).
	size := int64(3*fileCopyChunk + 4096)
	img := make([]byte, size)
	copy(img, "start")
	copy(img[fileCopyChunk+holeBlock+10:], "middle")
	copy(img[size-3:], "end")
	if err := os.WriteFile(filepath.Join(src, "disk.raw"), img, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(src, "sub"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "sub", "empty"), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	when := time.Unix(1700000000, 123456789)
	for _, p := range []string{"disk.raw", "sub/empty", "sub"} {
		if err := os.Chtimes(filepath.Join(src, p), when, when); err != nil {
			t.Fatal(err)
		}
	}
	ref := &dirRef{root: src}
	dir, _, err := copyInto(t, ref)
	if err != nil {
		t.Fatal(err)
	}
	if ref.reads != 4 {
		t.Errorf("read the image in %d ranges, want 4", ref.reads)
	}
	got, err := os.ReadFile(filepath.Join(dir, "disk.raw"))
	if err != nil || !bytes.Equal(got, img) {
		t.Fatalf("the copied image differs (%d bytes, %v)", len(got), err)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(filepath.Join(dir, "disk.raw"), &st); err != nil {
		t.Fatal(err)
	}
	if allocated := st.Blocks * 512; allocated > 4*holeBlock {
		t.Errorf("the copied image has %d bytes allocated; its zeros should be holes", allocated)
	}
	for p, mode := range map[string]os.FileMode{"disk.raw": 0o640, "sub": os.ModeDir | 0o750, "sub/empty": 0o755} {
		fi, err := os.Stat(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != mode || !fi.ModTime().Equal(when) {
			t.Errorf("%s: mode %v, time %v; want %v, %v", p, fi.Mode(), fi.ModTime(), mode, when)
		}
	}
}

// What is not a few plain files is left to the tar exporter, with
// nothing written.
func TestFileCopyLeavesTreesToTar(t *testing.T) {
	for name, setup := range map[string]func(t *testing.T, dir string, ref *dirRef){
		"symbolic link": func(t *testing.T, dir string, _ *dirRef) {
			if err := os.Symlink("a", filepath.Join(dir, "sub", "link")); err != nil {
				t.Fatal(err)
			}
		},
		"too many files": func(t *testing.T, dir string, _ *dirRef) {
			for i := range fileCopyMaxEntries {
				if err := os.WriteFile(filepath.Join(dir, "sub", strings.Repeat("f", i+1)), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		},
		"extended attributes": func(_ *testing.T, _ string, ref *dirRef) { ref.xattrs = map[string]bool{"sub/a": true} },
		"a fifo": func(t *testing.T, dir string, _ *dirRef) {
			if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
				t.Fatal(err)
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			src := t.TempDir()
			if err := os.MkdirAll(filepath.Join(src, "sub"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(src, "sub", "a"), []byte("a"), 0o644); err != nil {
				t.Fatal(err)
			}
			ref := &dirRef{root: src}
			setup(t, src, ref)
			_, begun, err := copyInto(t, ref)
			if !errors.Is(err, errNotFiles) || begun || ref.reads != 0 {
				t.Errorf("got %v, began %v, %d reads; want errNotFiles before anything", err, begun, ref.reads)
			}
		})
	}
	// Several platforms' results are the tar exporter's.
	c := &fileCopy{begin: func() (string, error) { t.Fatal("began"); return "", nil }}
	if err := c.copy(context.Background(), nil, &gateway.Result{Refs: map[string]gateway.Reference{"a": &dirRef{}, "b": &dirRef{}}}, nil); !errors.Is(err, errNotFiles) {
		t.Errorf("two refs: %v", err)
	}
}

// A short read (the file changed under the copy) fails the export.
func TestFileCopyShortRead(t *testing.T) {
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "f"), []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := copyInto(t, &dirRef{root: src, short: true})
	if err == nil || !strings.Contains(err.Error(), "nothing was moved into place") {
		t.Errorf("short read: %v", err)
	}
}
