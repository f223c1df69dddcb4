package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailed  = 1 // the build ran and failed
	exitInvalid = 2 // bad input: usage, manifest, options
	// exitInterrupted follows the shell's 128+SIGINT.
	exitInterrupted = 130
)

// env is what a command may touch.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

type command struct {
	name    string
	summary string
	// args is what follows the flags, for the usage line.
	args string
	run  func(e *env, args []string) int
}

var commands []command

func register(c command) { commands = append(commands, c) }

// Main runs the command line and returns the process exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		usage(stderr)
		return exitInvalid
	}
	for _, c := range commands {
		if args[0] == c.name {
			return c.run(e, args[1:])
		}
	}
	switch args[0] {
	case "-h", "--help", "help":
		usage(stdout)
		return exitOK
	case "--version", "-version":
		return runVersion(e, nil)
	}
	if unknownCommand(args[0]) {
		fmt.Fprintf(stderr, "osbuildkit: unknown command %q (commands: %s); to validate a manifest, name its file\n", args[0], commandNames())
		return exitInvalid
	}
	// osbuild's own form: osbuildkit [--inspect] [--json] MANIFEST
	return runOsbuild(e, args)
}

// unknownCommand says whether the first argument, which is no command, is
// neither a flag nor a manifest: no such file.
func unknownCommand(arg string) bool {
	if arg == "-" || strings.HasPrefix(arg, "-") || strings.ContainsAny(arg, "/.") {
		return false
	}
	_, err := os.Stat(arg)
	return errors.Is(err, os.ErrNotExist)
}

func commandNames() string {
	var names []string
	for _, c := range commands {
		if !strings.HasPrefix(c.summary, "(") { // internal commands
			names = append(names, c.name)
		}
	}
	return strings.Join(names, ", ")
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: osbuildkit COMMAND [FLAGS] MANIFEST")
	fmt.Fprintln(w, "       osbuildkit [--inspect] [--json] MANIFEST   (as osbuild: validate, print pipeline IDs)")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nMANIFEST is a path, or - for standard input. `osbuildkit COMMAND --help` shows a command's flags.")
}

// parseArgs parses flags anywhere among the positional arguments, as
// osbuild's argparse does.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if rest[0] == "--" {
			return append(pos, rest[1:]...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// newFlags is a command's flag set; its help shows the flags as users type
// them (--output-directory DIR), as docker and buildctl do.
func newFlags(e *env, name, args string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() { flagUsage(fs.Output(), fs, name, args) }
	return fs
}

func flagUsage(w io.Writer, fs *flag.FlagSet, name, args string) {
	fmt.Fprintf(w, "usage: osbuildkit %s [FLAGS] %s\n\nflags:\n", name, args)
	fs.VisitAll(func(f *flag.Flag) {
		arg, help := flag.UnquoteUsage(f)
		left := "--" + f.Name
		if arg != "" {
			left += " " + strings.ToUpper(arg)
		}
		fmt.Fprintf(w, "  %-28s %s", left, help)
		if f.DefValue != "" && f.DefValue != "false" && !strings.Contains(help, "default") {
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
}

// usageError reports a command-line mistake and returns exitInvalid.
func usageError(e *env, err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	fmt.Fprintf(e.stderr, "osbuildkit: %s\n", strings.TrimSpace(err.Error()))
	return exitInvalid
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }
