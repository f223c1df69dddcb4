package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/containerd/console"
	gateway "github.com/moby/buildkit/frontend/gateway/client"

	"github.com/osbuildkit/osbuildkit/frontend"
)

// breakTerminal checks --break's terminal before the build and returns
// the Break the build gets, with a restore function that puts the
// terminal back; nil without --break.
func breakTerminal(e *env, f *buildFlags) (*frontend.Break, func(), error) {
	if f.breakAt == "" {
		return nil, func() {}, nil
	}
	in, ok := e.stdin.(*os.File)
	if !ok || !isTerminal(in) {
		return nil, nil, errors.New("--break opens a shell, so it needs a terminal on standard input")
	}
	if f.progress == "auto" || f.progress == "tty" {
		f.progress = "plain" // the tty display would redraw over the shell
	}
	con, err := console.ConsoleFromFile(in)
	if err != nil {
		return nil, nil, fmt.Errorf("--break: %w", err)
	}
	resize := make(chan gateway.WinSize, 1)
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, syscall.SIGWINCH)
	go func() {
		for range winch {
			if size, err := con.Size(); err == nil {
				select {
				case resize <- gateway.WinSize{Rows: uint32(size.Height), Cols: uint32(size.Width)}:
				default:
				}
			}
		}
	}()
	winch <- syscall.SIGWINCH
	r := &rawReader{con: con, notify: e.stderr}
	brk := &frontend.Break{Stage: f.breakAt, Stdin: r, Stdout: nopCloser{e.stdout}, Notify: &r.notices, Resize: resize, Term: os.Getenv("TERM")}
	return brk, func() {
		signal.Stop(winch)
		_ = con.Reset()
	}, nil
}

// rawReader is the shell's input: on the shell's first read, the
// notices the build left (where the shell is) go out, after the build's
// progress, and the terminal goes raw.
type rawReader struct {
	con     console.Console
	notify  io.Writer
	notices bytes.Buffer
	raw     bool
}

func (r *rawReader) Read(p []byte) (int, error) {
	if !r.raw {
		r.raw = true
		_, _ = r.notify.Write(r.notices.Bytes())
		if err := r.con.SetRaw(); err != nil {
			return 0, err
		}
	}
	return r.con.Read(p)
}

func (r *rawReader) Close() error { return nil }

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// breakEnded reports a build that stopped at --break, with the shell's
// status as the command's.
func breakEnded(e *env, brk *frontend.Break) int {
	fmt.Fprintf(e.stderr, "osbuildkit: left the --break shell (exit status %d); the build stopped before %s and exported nothing\n", brk.Status, brk.Stage)
	return brk.Status
}
