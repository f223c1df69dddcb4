package localbuild

import (
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/osbuildkit/osbuildkit/internal/blocksum"
)

// oldFile is a large file the output directory had before the build, which
// a delta copy may reuse; its blocks are hashed and indexed while the build
// runs, on one CPU.
type oldFile struct {
	path  string
	done  chan struct{}
	index *blocksum.Index
	id    fileID // the file as it was hashed
	err   error
}

// fileID is what tells that a file changed: a write changes its ctime.
type fileID struct {
	dev, ino    uint64
	size        int64
	mtime, ctim unix.Timespec
}

func statID(f *os.File) (fileID, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return fileID{}, err
	}
	return idOf(&st), nil
}

func idOf(st *unix.Stat_t) fileID {
	return fileID{dev: st.Dev, ino: st.Ino, size: st.Size, mtime: st.Mtim, ctim: st.Ctim}
}

// hash hashes and indexes the file; wait returns once it has.
func (o *oldFile) hash() {
	defer close(o.done)
	f, err := os.Open(o.path)
	if err != nil {
		o.err = err
		return
	}
	defer f.Close()
	if o.id, o.err = statID(f); o.err != nil {
		return
	}
	var sums []blocksum.Sum
	if sums, o.err = blocksum.FileOn(o.path, 1); o.err == nil {
		o.index = blocksum.NewIndex(sums)
	}
}

func newOldFile(path string) *oldFile { return &oldFile{path: path, done: make(chan struct{})} }

// wait is the index of the file's digests, once hashed, and the file they
// are of.
func (o *oldFile) wait() (*blocksum.Index, fileID, error) {
	<-o.done
	return o.index, o.id, o.err
}

// large says whether path is a regular file a delta copy may start from.
func large(path string) bool {
	fi, err := os.Lstat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Size() >= deltaMin
}

// oldFiles are the regular files of at least deltaMin bytes in dirs
// (where a build exports to, as they are before it), in a stable order.
func oldFiles(dirs []string) []*oldFile {
	var out []*oldFile
	for _, dir := range dirs {
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() && large(p) {
				out = append(out, newOldFile(p))
			}
			return nil
		})
	}
	return out
}

// hashAll hashes the files one after the other, on one CPU.
func hashAll(files []*oldFile) {
	for _, o := range files {
		o.hash()
	}
}
