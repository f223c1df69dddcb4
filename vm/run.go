package vm

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"sync"
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
	console := &watcher{want: []byte(o.Expect), found: make(chan struct{})}
	var qemuErr bytes.Buffer
	cmd := exec.CommandContext(ctx, "qemu-system-x86_64", args...)
	cmd.Stdout = io.MultiWriter(o.Stdout, console)
	cmd.Stderr = io.MultiWriter(o.Stdout, &qemuErr)
	if o.Expect == "" {
		cmd.Stdin = o.Stdin
	}
	if err := cmd.Start(); err != nil {
		return false, fmt.Errorf("starting qemu-system-x86_64 (Debian's qemu-system-x86): %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-console.found:
		cancel()
		<-done
		return false, nil
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

// watcher keeps the console's output (its last maxKept bytes) and closes
// found when want appears in it.
type watcher struct {
	mu    sync.Mutex
	buf   []byte
	want  []byte
	found chan struct{}
	once  sync.Once
}

const maxKept = 1 << 20

func (w *watcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	from := max(0, len(w.buf)-len(w.want))
	w.buf = append(w.buf, p...)
	if len(w.want) > 0 && bytes.Contains(w.buf[from:], w.want) {
		w.once.Do(func() { close(w.found) })
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
