package standin

import (
	"bytes"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// Umask is the process's file mode creation mask, read without changing
// it (from /proc/self/status) where the kernel says it: setting it to
// read it would, for a moment, give files other goroutines create, and
// programs they start, a mask of 0.
func Umask() int {
	if status, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range bytes.Split(status, []byte("\n")) {
			if v, ok := bytes.CutPrefix(line, []byte("Umask:")); ok {
				if m, err := strconv.ParseUint(string(bytes.TrimSpace(v)), 8, 32); err == nil {
					return int(m)
				}
			}
		}
	}
	m := unix.Umask(0)
	unix.Umask(m)
	return m
}
