package vm

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"
)

// run runs qemu once. kvmFailed says it failed with KVM (qemu's own
// messages name it), so that TCG may be tried.
func run(ctx context.Context, o Options, args []string) (kvmFailed bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if o.Expect != "" {
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	console := newWatcher()
	if o.Expect != "" {
		console = newWatcher(append([]string{o.Expect}, deadEnds...)...)
	}
	var qemuErr bytes.Buffer
	qemu := qemuSystem[cmp.Or(o.Arch, "amd64")]
	cmd := exec.CommandContext(ctx, qemu[0], args...)
	cmd.WaitDelay = time.Second // what qemu started may hold the console open
	cmd.Stdout = io.MultiWriter(o.Stdout, console)
	cmd.Stderr = io.MultiWriter(o.Stdout, &qemuErr)
	if o.Expect == "" {
		cmd.Stdin = o.Stdin
	}
	if err := cmd.Start(); err != nil {
		return false, fmt.Errorf("starting %s (Debian's %s): %w", qemu[0], qemu[1], err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case i := <-console.hit:
		if i == 0 {
			cancel()
			<-done
			return false, nil
		}
		return false, stopAtDeadEnd(cancel, done, console, o.Expect, deadEnds[i-1])
	case err = <-done:
	}
	kvm := err != nil && slices.Contains(args, "kvm") && consoleIndicatesKVM(qemuErr.Bytes())
	switch {
	case o.Expect == "" && err != nil:
		return kvm, fmt.Errorf("qemu: %w: %s", err, lastLines(qemuErr.Bytes(), 5))
	case o.Expect == "":
		return false, nil
	case ctx.Err() == context.DeadlineExceeded:
		return false, fmt.Errorf("%w (%q) within %s; the last lines seen:\n%s", ErrNotSeen, o.Expect, o.Timeout, lastLines(console.bytes(), 20))
	}
	return kvm, fmt.Errorf("%w (%q): qemu ended first (%v); the last lines seen:\n%s", ErrNotSeen, o.Expect, err, lastLines(append(console.bytes(), qemuErr.Bytes()...), 20))
}

// deadEnds are what a console shows when a boot has stopped for good: a
// smoke test fails there rather than at its timeout.
var deadEnds = []string{
	"Kernel panic - not syncing",
	"Target filesystem doesn't have requested",    // initramfs-tools: no init
	"Gave up waiting for root file system device", // initramfs-tools: no root
	"(initramfs) ",              // initramfs-tools' shell
	"dracut:/#",                 // dracut's emergency shell
	"You are in emergency mode", // systemd
	"grub rescue>",
}

// stopAtDeadEnd lets the console print what follows a dead end for a
// moment, then stops qemu and fails with the last lines seen.
func stopAtDeadEnd(cancel context.CancelFunc, done <-chan error, console *watcher, expect, deadEnd string) error {
	select {
	case <-done:
	case <-time.After(deadEndGrace):
		cancel()
		<-done
	}
	return fmt.Errorf("%w (%q): the boot stopped at %q; the last lines seen:\n%s", ErrNotSeen, expect, strings.TrimSpace(deadEnd), lastLines(console.bytes(), 20))
}

// deadEndGrace is how long the console may go on after a dead end.
const deadEndGrace = 2 * time.Second

// watcher keeps the console's output (its last maxKept bytes) and sends
// on hit the index of the first pattern seen in it.
type watcher struct {
	mu       sync.Mutex
	buf      []byte
	patterns [][]byte
	longest  int
	hit      chan int
	once     sync.Once
}

func newWatcher(patterns ...string) *watcher {
	w := &watcher{hit: make(chan int, 1)}
	for _, p := range patterns {
		w.patterns = append(w.patterns, []byte(p))
		w.longest = max(w.longest, len(p))
	}
	return w
}

const maxKept = 1 << 20

func (w *watcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	from := max(0, len(w.buf)-w.longest)
	w.buf = append(w.buf, p...)
	for i, pat := range w.patterns {
		if len(pat) > 0 && bytes.Contains(w.buf[from:], pat) {
			w.once.Do(func() { w.hit <- i })
			break
		}
	}
	if len(w.buf) > maxKept {
		w.buf = append([]byte(nil), w.buf[len(w.buf)-maxKept/2:]...)
	}
	return len(p), nil
}

func (w *watcher) bytes() []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]byte(nil), w.buf...)
}
