package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
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
	run     func(e *env, args []string) int
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
	}
	// osbuild's own form: osbuildkit [--inspect] [--json] MANIFEST
	return runOsbuild(e, args)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: osbuildkit COMMAND [OPTIONS] MANIFEST")
	fmt.Fprintln(w, "       osbuildkit [--inspect] [--json] MANIFEST   (as osbuild: validate, print pipeline IDs)")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nMANIFEST is a path, or - for standard input.")
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

func newFlags(e *env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
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
