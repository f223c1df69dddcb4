package standin

import (
	"os/exec"
	"testing"
)

// The buildroot's dash runs through its own loader and libraries, found
// inside the buildroot (here the host's root); no buildroot, no shell.
func TestNativeShell(t *testing.T) {
	shell := nativeProgram("/", "/usr/bin/dash")
	if shell == nil {
		t.Skip("this host has no dash")
	}
	out, err := exec.Command(shell[0], append(shell[1:], "-c", "echo $((6*7)) $(echo sub)")...).CombinedOutput()
	if err != nil || string(out) != "42 sub\n" {
		t.Errorf("%q: %q, %v", shell, out, err)
	}
	if got := nativeProgram(t.TempDir(), "/usr/bin/dash"); got != nil {
		t.Errorf("an empty buildroot: %q", got)
	}
}
