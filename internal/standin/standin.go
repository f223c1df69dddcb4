package standin

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Original is where the tree's program p waits while its stand-in is in
// place: beside it, so that setting it aside is a rename.
func Original(p string) string { return path.Join(path.Dir(p), ".osbuildkit-native-"+path.Base(p)) }

// errNotMine is a stand-in's answer for arguments it leaves to the tree's
// own program: it has changed nothing yet.
var errNotMine = errors.New("not a stand-in's case")

// commands do, natively, what the tree's program does for the arguments
// initramfs-tools and dpkg give it; anything else is errNotMine.
var commands = map[string]func(args []string, out io.Writer) error{
	"cp": nativeCp, "mkdir": nativeMkdir, "realpath": nativeRealpath,
	"readlink": nativeReadlink, "modinfo": nativeModinfo,
	"dpkg-deb": nativeDpkgDeb, "dpkg-split": nativeDpkgSplit,
}

// exitStatus is a stand-in's quiet exit with a status other than 0.
type exitStatus int

func (e exitStatus) Error() string { return "exit status " + strconv.Itoa(int(e)) }

// filters are stand-ins that read their standard input.
var filters = map[string]func(args []string, in io.Reader, out io.Writer) error{
	"gzip": nativeGzip,
}

// Run runs the stand-in the kernel started for script (through its "#!"
// line) with the command's arguments, and returns its exit status.
// Arguments it does not handle go, unchanged, to the tree's own program.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "osbuildkit-native: the interpreter of native stand-ins for a foreign tree's programs, inside a build")
		return 2
	}
	script, args := args[0], args[1:]
	name := path.Base(script)
	if filter, ok := filters[name]; ok {
		if err := filter(args, stdin, stdout); err != errNotMine {
			return exitFor(name, err, stderr)
		}
	}
	if status, ok := Native(name, args, stdout, stderr); ok {
		return status
	}
	if b, ok := buildrootPrograms[name]; ok {
		if argv := BuildrootProgram(b.path); argv != nil {
			if b.script {
				argv = append(argv, Original(script))
			}
			argv = append(argv, args...)
			err := unix.Exec(argv[0], argv, os.Environ())
			fmt.Fprintf(stderr, "%s: running the buildroot's %s: %v\n", name, b.path, err)
			return 126
		}
	}
	prog := treeProgram(script)
	if prog == "" {
		fmt.Fprintf(stderr, "%s: the tree has no such program besides its native stand-in\n", name)
		return 127
	}
	err := unix.Exec(prog, append([]string{name}, args...), os.Environ())
	fmt.Fprintf(stderr, "%s: running the tree's %s: %v\n", name, prog, err)
	return 126
}

// treeProgram is the tree's own program a stand-in replaced: set aside
// beside it, or (modinfo) further on mkinitramfs's PATH.
func treeProgram(script string) string {
	candidates := []string{Original(script)}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/bin"} {
		candidates = append(candidates, path.Join(dir, path.Base(script)))
	}
	for _, c := range candidates {
		if st, err := os.Stat(c); err == nil && st.Mode().IsRegular() && c != script {
			return c
		}
	}
	return ""
}

// flagsAndOperands splits args, accepting only the flags in allowed.
func flagsAndOperands(args []string, allowed ...string) (map[string]bool, []string, bool) {
	flags := map[string]bool{}
	for i, a := range args {
		if !strings.HasPrefix(a, "-") || a == "-" {
			return flags, args[i:], true
		}
		if !slices.Contains(allowed, a) {
			return nil, nil, false
		}
		flags[a] = true
	}
	return flags, nil, true
}

// InitramfsCommands are the programs initramfs-tools calls once or more
// per file it copies, which Native can run in-process.
var InitramfsCommands = []string{"cp", "mkdir", "realpath", "readlink", "modinfo"}

// Native runs the stand-in for the program name in this process: ok is
// false, with nothing changed, for a program or arguments it leaves to
// the real program; otherwise status is the program's exit status, a
// failure having been written to stderr as the program's own message.
func Native(name string, args []string, stdout, stderr io.Writer) (status int, ok bool) {
	run, found := commands[name]
	if !found {
		return 0, false
	}
	err := run(args, stdout)
	if err == errNotMine {
		return 0, false
	}
	return exitFor(name, err, stderr), true
}

// exitFor is the exit status of a stand-in that ended with err (nil, an
// exitStatus, or a failure written to stderr as the program's message).
func exitFor(name string, err error, stderr io.Writer) int {
	var quiet exitStatus
	switch {
	case err == nil:
		return 0
	case errors.As(err, &quiet):
		return int(quiet)
	}
	fmt.Fprintf(stderr, "%s: %v\n", name, err)
	return 1
}
