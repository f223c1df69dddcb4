package localbuild

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	bkclient "github.com/moby/buildkit/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/osbuildkit/osbuildkit/frontend"
	"golang.org/x/sys/unix"
)

// output exports into a temporary directory beside the output directory and
// moves each pipeline into place only once the whole build succeeded, so a
// failed or interrupted build leaves nothing half-written under the final
// names. As with osbuild, DIR/PIPELINE is created, or merged into when it
// exists (same-named files replaced).
//
// The result arrives as a tar stream that tar(1) unpacks: unlike BuildKit's
// local exporter, this keeps owners (when run as root), as osbuild's export
// does, and sidesteps the local exporter's intermittent stalls on trees with
// hard links (seen with BuildKit v0.34.2).
type output struct {
	dir, tmp string
	names    []string
	unpack   *unpacker
	// old are the large files the directories had, for delta copies
	// (delta.go): hashOld hashes them, once a step runs (a build that
	// runs nothing need not pay for it).
	old      []*oldFile
	hashOnce sync.Once
}

// hashOld starts hashing the old files.
func (o *output) hashOld() {
	o.hashOnce.Do(func() { go hashAll(o.old) })
}

// exportTempPrefix names the temporary export directories, followed by the
// PID of the build that owns one.
const exportTempPrefix = ".osbuildkit-export-"

func newOutput(dir string, names []string) (*output, error) {
	if dir == "" {
		return &output{}, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the output directory: %w", err)
	}
	sweepStaleExports(dir)
	o := &output{dir: dir, names: names}
	var finals []string
	for _, n := range names {
		finals = append(finals, filepath.Join(dir, n))
	}
	o.old = oldFiles(finals)
	return o, nil
}

// begin creates the temporary directory the export is unpacked into, once
// the export starts: a build interrupted before then leaves nothing.
func (o *output) begin() (string, error) {
	tmp, err := os.MkdirTemp(o.dir, fmt.Sprintf("%s%d-", exportTempPrefix, os.Getpid()))
	if err != nil {
		return "", fmt.Errorf("creating a temporary export directory: %w", err)
	}
	o.tmp = tmp
	// A tree's root is 0755, as a root filesystem's is.
	for _, n := range o.names {
		if err := os.MkdirAll(filepath.Join(tmp, n), 0o755); err != nil {
			return "", err
		}
	}
	if len(o.names) == 1 {
		return filepath.Join(tmp, o.names[0]), nil
	}
	return tmp, nil
}

// oldFile is the large file the output directory has where rel, below
// dir (a directory begin made), is moved to, or nil.
func (o *output) oldFile(dir, rel string) *oldFile {
	within, err := filepath.Rel(o.tmp, dir)
	if err != nil {
		return nil
	}
	final := filepath.Join(o.dir, within, rel)
	for _, f := range o.old {
		if f.path == final {
			o.hashOld()
			return f
		}
	}
	if !large(final) {
		return nil
	}
	f := newOldFile(final)
	go f.hash()
	return f
}

// sweepStaleExports removes the temporary export directories of builds that
// were killed while exporting (their PID no longer runs).
func sweepStaleExports(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), exportTempPrefix)
		if !ok || !e.IsDir() {
			continue
		}
		pidText, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if err == nil && pid > 0 && syscall.Kill(pid, 0) == syscall.ESRCH {
			os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
}

// exportDirs are the directories a build exports, under the output
// directory: one per pipeline, or for several platforms one per platform
// and pipeline (linux_arm64/PIPELINE, as BuildKit's local exporter lays
// out a multi-platform result).
func exportDirs(exports []string, ps []ocispecs.Platform) []string {
	if len(ps) < 2 {
		return exports
	}
	var out []string
	for _, p := range ps {
		for _, n := range exports {
			out = append(out, filepath.Join(frontend.PlatformDir(p), n))
		}
	}
	return out
}

func (o *output) exports() []bkclient.ExportEntry {
	if o.dir == "" {
		return nil
	}
	o.unpack = &unpacker{begin: o.begin, outDir: o.dir}
	return []bkclient.ExportEntry{{Type: bkclient.ExporterTar, Output: o.unpack.open}}
}

func (o *output) commit() error {
	if o.dir == "" {
		return nil
	}
	if o.unpack != nil { // else the files were copied (fileCopy)
		if err := o.unpack.wait(); err != nil {
			return err
		}
	}
	for _, n := range o.names {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(o.dir, n)), 0o755); err != nil {
			return err
		}
		if err := mergeInto(filepath.Join(o.tmp, n), filepath.Join(o.dir, n)); err != nil {
			return fmt.Errorf("moving %s into place: %w", n, err)
		}
	}
	return nil
}

func (o *output) cleanup() {
	if o.unpack != nil && o.unpack.done != nil {
		o.unpack.wait() // tar has stopped before its directory goes
	}
	if o.tmp != "" {
		os.RemoveAll(o.tmp)
	}
}

// bigFile is the size from which replacing a file need not be atomic.
const bigFile = 16 << 20

// mergeInto moves src to dst; where dst is an existing directory, src's
// entries move into it one by one (each rename replaces atomically).
func mergeInto(src, dst string) error {
	fi, err := os.Lstat(dst)
	if errors.Is(err, os.ErrNotExist) {
		return os.Rename(src, dst)
	}
	if err != nil {
		return err
	}
	sfi, err := os.Lstat(src)
	if err != nil {
		return err
	}
	if !fi.IsDir() || !sfi.IsDir() {
		// A file replaces a file atomically; rename cannot put a
		// directory over a file or a file over a directory. A large file
		// replaces one by unlink, then rename: renamed over a file, ext4
		// writes the new one's data out first (auto_da_alloc), 1.7 s for
		// the reference qcow2, where the build is otherwise done.
		if fi.IsDir() || sfi.IsDir() || (fi.Mode().IsRegular() && sfi.Size() >= bigFile) {
			if err := os.RemoveAll(dst); err != nil {
				return err
			}
		}
		return os.Rename(src, dst)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := mergeInto(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// unpacker feeds the exported tar stream to tar(1).
type unpacker struct {
	begin func() (string, error) // creates the directory to unpack into
	dir   string                 // that directory, once open
	// outDir is the output directory, for messages.
	outDir string
	cmd    *exec.Cmd
	in     io.WriteCloser
	errs   bytes.Buffer
	done   chan struct{} // closed when tar has exited
	wErr   error         // tar's exit
	once   sync.Once
	err    error
}

func (u *unpacker) open(map[string]string) (io.WriteCloser, error) {
	dir, err := u.begin()
	if err != nil {
		return nil, err
	}
	u.dir = dir
	args := []string{"--extract", "--file=-", "--directory=" + dir, "--numeric-owner",
		"--preserve-permissions", "--xattrs", "--xattrs-include=*", "--acls"}
	if os.Geteuid() == 0 {
		args = append(args, "--same-owner")
	}
	u.cmd = exec.Command("tar", args...)
	u.cmd.Stderr = &u.errs
	in, err := u.cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	if err := u.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting tar to unpack the export: %w", err)
	}
	u.done = make(chan struct{})
	go func() {
		u.wErr = u.cmd.Wait()
		close(u.done)
	}()
	u.in = in
	return in, nil
}

// wait returns once tar has unpacked everything.
func (u *unpacker) wait() error {
	if u.cmd == nil {
		return errors.New("the build exported nothing")
	}
	u.once.Do(func() {
		u.in.Close()
		<-u.done
		if err := u.wErr; err != nil {
			msg := string(bytes.TrimSpace(u.errs.Bytes()))
			if strings.Contains(msg, "No space left on device") || (strings.Contains(msg, "Wrote only") && nearlyFull(u.dir)) {
				u.err = fmt.Errorf("unpacking the export into %s: the filesystem is full (no space left on device); nothing was moved into place", u.outDir)
				return
			}
			u.err = fmt.Errorf("unpacking the export: %w: %s; nothing was moved into place", err, msg)
		}
	})
	return u.err
}

// nearlyFull says whether the filesystem holding dir has less than 1 MiB
// free (tar reports a short write, not ENOSPC, when a file does not fit).
func nearlyFull(dir string) bool {
	var st unix.Statfs_t
	if unix.Statfs(dir, &st) != nil {
		return false
	}
	return st.Bavail*uint64(st.Bsize) < 1<<20
}

// failed returns tar's error when tar stopped unpacking on its own, which
// explains a failed export (BuildKit then only sees a broken pipe).
func (u *unpacker) failed() error {
	if u == nil || u.done == nil {
		return nil
	}
	select {
	case <-u.done:
		return u.wait()
	default:
		return nil
	}
}
