package stages

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/osbuildkit/osbuildkit/internal/shrun"
	"github.com/osbuildkit/osbuildkit/internal/standin"
)

// updateInitramfs runs the tree's update-initramfs with args. When the
// tree is this sandbox's root and of this process's architecture, its
// /bin/sh scripts (update-initramfs, mkinitramfs, the hooks) run in this
// process (internal/shrun), with initramfs-tools' per-file programs (cp,
// mkdir, realpath, readlink, modinfo) standing in natively: mkinitramfs
// otherwise starts some ten thousand processes, a minute on a 2-core
// builder. The archive is the same bytes (TestInProcessInitramfs). What
// the in-process shell cannot run exactly is run by the tree's own shell:
// the whole command when a script is not one it runs, or again from the
// start when it stopped part way.
func updateInitramfs(rt *Runtime, args ...string) error {
	run := func() error { return rt.Run("update-initramfs", args...) }
	if rt.Tree != "/" || foreignTree(rt) {
		return run()
	}
	var tail tailBuffer
	var mu sync.Mutex // the script's programs write from goroutines
	out := &lockedWriter{mu: &mu, w: io.MultiWriter(nonNil(rt.Stdout), &tail)}
	errOut := &lockedWriter{mu: &mu, w: io.MultiWriter(nonNil(rt.Stderr), &tail)}
	defer unix.Umask(standin.Umask()) // the script's umask builtin sets this process's
	before, _ := filepath.Glob("/var/tmp/mkinitramfs*")
	status, err := shrun.Script(context.Background(), "/usr/sbin/update-initramfs", args, shrun.Options{
		Env: rt.Env, Dir: "/", Stdout: out, Stderr: errOut, Native: initramfsNative, Log: errOut,
	})
	switch {
	case err != nil && !errors.Is(err, shrun.ErrStopped):
		fmt.Fprintf(errOut, "osbuildkit: the tree's shell runs update-initramfs (%v)\n", err)
		return run()
	case err != nil:
		fmt.Fprintf(errOut, "osbuildkit: update-initramfs again in the tree's shell (%v)\n", err)
		after, _ := filepath.Glob("/var/tmp/mkinitramfs*")
		for _, d := range after {
			if !slices.Contains(before, d) {
				_ = os.RemoveAll(d)
			}
		}
		return run()
	case status != 0:
		return fmt.Errorf("running update-initramfs %s: exit status %d%s", strings.Join(args, " "), status, tail.summary())
	}
	return nil
}

// initramfsNative runs initramfs-tools' per-file programs natively.
func initramfsNative(name string, args []string, stdout, stderr io.Writer) (int, bool) {
	if !slices.Contains(standin.InitramfsCommands, name) {
		return 0, false
	}
	return standin.Native(name, args, stdout, stderr)
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
