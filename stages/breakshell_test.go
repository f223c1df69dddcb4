package stages

import (
	"bytes"
	"strings"
	"testing"
)

// --break's shell runs with the stage's (here: no) devices and mounts, has
// the helper's exit status, and does not pass BreakShellEnv on, so the
// stage's helper run from it runs the stage.
func TestBreakShellRunsAShell(t *testing.T) {
	t.Setenv(BreakShellEnv, "1")
	var out, errs bytes.Buffer
	rt := &Runtime{Spec: Spec{Type: "org.osbuild.mkdir"}, Stdout: &out, Stderr: &errs}
	code := breakShell(rt, strings.NewReader(`echo "env=${OSBUILDKIT_BREAK_SHELL:-unset}"; exit 4`+"\n"))
	if code != 4 {
		t.Errorf("exit status %d, want the shell's 4 (stderr %q)", code, errs.String())
	}
	if !strings.Contains(out.String(), "env=unset") {
		t.Errorf("the shell saw %q, want %s unset", out.String(), BreakShellEnv)
	}
}

// The devices and mounts the stage has are listed, by name.
func TestAttachedLines(t *testing.T) {
	rt := &Runtime{DevicePaths: map[string]string{"disk": "/dev/loop3"}, MountPaths: map[string]string{"root": "/run/osbuild/mounts/", "boot": "/run/osbuild/mounts/boot"}}
	got := strings.Join(attachedLines(rt), "\n")
	want := "osbuildkit: the stage's device disk is /dev/loop3\nosbuildkit: the stage's mount boot is /run/osbuild/mounts/boot\nosbuildkit: the stage's mount root is /run/osbuild/mounts/"
	if got != want {
		t.Errorf("lines:\n%s\nwant:\n%s", got, want)
	}
}
