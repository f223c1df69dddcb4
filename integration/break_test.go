//go:build integration

package integration

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// terminal is a command on a pseudo-terminal, as a user at a shell runs it.
type terminal struct {
	cmd    *exec.Cmd
	master *os.File
	mu     sync.Mutex
	out    bytes.Buffer
	done   chan struct{}
}

func startOnTerminal(t *testing.T, name string, args ...string) *terminal {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { master.Close() })
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	slave, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer slave.Close()
	term := &terminal{cmd: exec.Command(name, args...), master: master, done: make(chan struct{})}
	term.cmd.Stdin, term.cmd.Stdout, term.cmd.Stderr = slave, slave, slave
	term.cmd.Env = append(os.Environ(), "TERM=xterm")
	term.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := term.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(term.done)
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			term.mu.Lock()
			term.out.Write(buf[:n])
			term.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	// Setsid made it a process group of its own: end all of it.
	t.Cleanup(func() { _ = syscall.Kill(-term.cmd.Process.Pid, syscall.SIGKILL); _ = term.cmd.Wait() })
	return term
}

func (term *terminal) output() string {
	term.mu.Lock()
	defer term.mu.Unlock()
	return term.out.String()
}

// expect waits until text is on the terminal.
func (term *terminal) expect(t *testing.T, text string, timeout time.Duration) {
	t.Helper()
	for end := time.Now().Add(timeout); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		if strings.Contains(term.output(), text) {
			return
		}
	}
	t.Fatalf("%q did not appear within %s; the terminal shows:\n%s", text, timeout, tail(term.output(), 40))
}

func (term *terminal) send(t *testing.T, line string) {
	t.Helper()
	if _, err := term.master.Write([]byte(line + "\r")); err != nil {
		t.Fatal(err)
	}
}

// wait returns the command's exit status.
func (term *terminal) wait(t *testing.T) int {
	t.Helper()
	err := term.cmd.Wait()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return term.cmd.ProcessState.ExitCode()
}

// --break stops before the stage, cached or not, with a shell where the
// stage runs (the tree as root for the users stage): it sees the tree as
// the stages before left it (the groups stage's group, not yet the user),
// and the stage's own environment. Leaving the shell ends the build with
// the shell's status; nothing is exported and nothing done in the shell
// reaches the cache: a second shell there has no trace of it.
func TestBreakOpensAShellBeforeTheStage(t *testing.T) {
	manifest := manifestFile(t, "integration/testdata/debian-config.json")
	out := filepath.Join(t.TempDir(), "out")
	term := startOnTerminal(t, cli, "build", "--break", "org.osbuild.users", "--output-directory", out, manifest)
	term.expect(t, "(break org.osbuild.users) / # ", 20*time.Minute)
	term.send(t, `getent group admins; getent passwd alice || echo NO-ALICE; echo "spec=${OSBUILDKIT_STAGE_SPEC%%,*}"; touch /etc/break-marker; exit 3`)
	if code := term.wait(t); code != 3 {
		t.Errorf("exit status %d, want the shell's 3:\n%s", code, tail(term.output(), 30))
	}
	<-term.done
	log := term.output()
	wantContains(t, "terminal", log, "osbuildkit: stopped before [tree] org.osbuild.users (.pipelines[0].stages[3]): a shell where the stage runs",
		"admins:x:2000:", "NO-ALICE\r", `spec={"type":"org.osbuild.users"`,
		"osbuildkit: left the --break shell (exit status 3); the build stopped before org.osbuild.users and exported nothing")
	if entries, err := os.ReadDir(out); err == nil && len(entries) > 0 || err != nil && !os.IsNotExist(err) {
		t.Errorf("the output directory holds %v (%v), want nothing", entries, err)
	}
	again := startOnTerminal(t, cli, "build", "--break", "org.osbuild.users", manifest)
	again.expect(t, "(break org.osbuild.users) / # ", 5*time.Minute)
	again.send(t, `test -e /etc/break-marker && echo "MARKER-KEPT" || echo "NO-MARKER"; exit`)
	again.wait(t)
	<-again.done
	wantContains(t, "a second shell", again.output(), "NO-MARKER\r")
}

// A stage of file operations only breaks into the host buildroot, the
// tree at /run/osbuild/tree: before the hostname stage, the tree has the
// users stage's user and not yet the hostname.
func TestBreakBeforeAFileStage(t *testing.T) {
	manifest := manifestFile(t, "integration/testdata/debian-config.json")
	term := startOnTerminal(t, cli, "build", "--break", "org.osbuild.hostname", manifest)
	term.expect(t, "(break org.osbuild.hostname) / # ", 20*time.Minute)
	term.send(t, `echo "alice=$(grep -c '^alice:' /run/osbuild/tree/etc/passwd)"; cat /run/osbuild/tree/etc/hostname || echo NO-HOSTNAME; exit`)
	if code := term.wait(t); code != 0 {
		t.Errorf("exit status %d, want 0", code)
	}
	<-term.done
	wantContains(t, "terminal", term.output(), "a shell in the host buildroot, the tree the stages before left at /run/osbuild/tree", "alice=1\r", "NO-HOSTNAME")
}

// --break is refused before the build without a terminal, and with a
// stage the build does not run, naming the stages there are.
func TestBreakBadInput(t *testing.T) {
	manifest := manifestFile(t, "integration/testdata/debian-config.json")
	log := run(t, 2, cli, "build", "--break", "org.osbuild.users", manifest)
	wantContains(t, "without a terminal", log, "--break opens a shell, so it needs a terminal on standard input")
	term := startOnTerminal(t, cli, "build", "--break", "org.osbuild.grub2", manifest)
	if code := term.wait(t); code != 2 {
		t.Errorf("unknown stage: exit status %d, want 2", code)
	}
	<-term.done
	wantContains(t, "unknown stage", term.output(), `--break "org.osbuild.grub2" selects no stage of this build`, "tree (org.osbuild.debootstrap, org.osbuild.apt, org.osbuild.groups, org.osbuild.users,")
}

// --break on-error opens the shell in the step that failed, with the
// mounts as the failure left them (the tree the stage got, at
// /run/osbuild/tree), after printing the stage, its command and its exit
// status; leaving it ends the build as the failure does (exit 1, the
// located error), with nothing exported.
func TestBreakOnErrorOpensTheFailedStep(t *testing.T) {
	manifest := manifestFile(t, "integration/testdata/failing-stage.json")
	out := filepath.Join(t.TempDir(), "out")
	term := startOnTerminal(t, cli, "build", "--break", "on-error", "--output-directory", out, manifest)
	term.expect(t, "(break org.osbuild.error) / # ", 10*time.Minute)
	term.send(t, `ls -d /run/osbuild/tree/a && echo "HAVE-A"; exit 5`)
	if code := term.wait(t); code != 1 {
		t.Errorf("exit status %d, want the failed build's 1", code)
	}
	<-term.done
	wantContains(t, "terminal", term.output(),
		"osbuildkit: [tree] org.osbuild.error (.pipelines[0].stages[1]) failed: /run/osbuild/bin/osbuildkit stage org.osbuild.error exited with status 3",
		"HAVE-A\r", "osbuildkit: build failed: ", "org.osbuild.error (", ".pipelines[0].stages[1]) failed")
	if entries, err := os.ReadDir(out); err == nil && len(entries) > 0 {
		t.Errorf("the output directory holds %v, want nothing", entries)
	}
}

// A privileged stage's shell has its devices and mounts set up as the
// stage has them (the helper sets them up, then opens the shell): before
// org.osbuild.copy, the disk image's loop device and the ext4 filesystem
// mkfs made, mounted where the stage copies to.
func TestBreakSetsUpThePrivilegedStage(t *testing.T) {
	manifest := manifestFile(t, "integration/testdata/privileged-disk.json")
	term := startOnTerminal(t, cli, "build", "--allow", "security.insecure", "--export", "disk", "--break", "org.osbuild.copy", manifest)
	term.expect(t, "(break org.osbuild.copy) / # ", 20*time.Minute)
	term.send(t, `echo "fs=$(findmnt -n -o FSTYPE /run/osbuild/mounts)"; exit`)
	if code := term.wait(t); code != 0 {
		t.Errorf("exit status %d, want 0", code)
	}
	<-term.done
	wantContains(t, "terminal", term.output(), "its devices and mounts set up", "osbuildkit: the stage's device image is /dev/loop",
		"osbuildkit: the stage's mount root is /run/osbuild/mounts", "fs=ext4\r")
}
