// Package shrun runs a tree's /bin/sh scripts in this process, with
// command substitutions that do not fork and with some programs run by
// native stand-ins, so that a script that starts thousands of small
// processes (initramfs-tools' mkinitramfs) starts only the ones that do
// real work. Whatever it cannot run exactly as dash would, it leaves to
// the real shell: a script is checked before anything of it runs.
package shrun

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/interp"
	"mvdan.cc/sh/v3/syntax"
)

// ErrUnsupported is the answer for a script that Script leaves to the
// real shell. Returned by Script, nothing of the script has run.
var ErrUnsupported = errors.New("not a script the in-process shell runs exactly")

// errNotShell is ErrUnsupported for a program that is not a #!/bin/sh
// script at all.
var errNotShell = fmt.Errorf("%w: not a #!/bin/sh script", ErrUnsupported)

// ErrStopped is the answer for a run the interpreter stopped part way, on
// something it cannot do exactly (the error says what).
var ErrStopped = errors.New("the in-process shell stopped")

// Options are a script's environment and the native stand-ins.
type Options struct {
	Env            []string // the environment; nil is this process's
	Dir            string   // the working directory; "" is "/"
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Native runs the program name (its base name) in-process: ok false
	// leaves it to the real program, nothing changed.
	Native func(name string, args []string, stdout, stderr io.Writer) (status int, ok bool)
	// Log, if set, gets a line for each script the script runs that is
	// left to the real shell, saying why.
	Log io.Writer
}

// Script runs the script at path with args as the kernel would run it
// (argv[0] being path), and returns its exit status. It is ErrUnsupported
// when the script is not one to run in-process (nothing ran), and another
// ErrStopped when the interpreter stopped the run on something it could
// not do exactly (the script ran in part).
func Script(ctx context.Context, path string, args []string, o Options) (int, error) {
	s, err := load(path)
	if err != nil {
		return 0, err
	}
	return s.run(ctx, args, o)
}

// shebang is the #! line Script accepts: dash, with -e and -u at most.
var shebang = regexp.MustCompile(`^#! ?/bin/sh(?: +-([eu]+))?[ \t]*$`)

// script is a parsed script ready to run.
type script struct {
	path      string
	flags     string // from the #! line
	file      *syntax.File
	subshells []string // delegated to the real shell, by index
	funcs     map[string]bool
}

func load(path string) (*script, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	line, _ := br.ReadString('\n')
	m := shebang.FindStringSubmatch(strings.TrimSuffix(line, "\n"))
	if m == nil {
		return nil, fmt.Errorf("%w: %s", errNotShell, path)
	}
	rest, err := io.ReadAll(br)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	file, err := parseToRun(append([]byte(line), rest...), path)
	if err != nil {
		return nil, err
	}
	if err := checkSourcedFiles(file); err != nil {
		return nil, err
	}
	s := &script{path: path, flags: m[1], file: file, funcs: funcNames(file)}
	if err := s.delegate(); err != nil {
		return nil, err
	}
	return s, nil
}

// parseToRun parses src as the interpreter will run it: ErrUnsupported
// for what dash would read otherwise, and the jumps fixed up (fixJumps).
func parseToRun(src []byte, name string) (*syntax.File, error) {
	f, err := parse(src, name)
	if err != nil {
		return nil, err
	}
	if b := bashism(f); b != "" {
		return nil, fmt.Errorf("%w: %s", ErrUnsupported, b)
	}
	if err := fixJumps(f); err != nil {
		return nil, err
	}
	return f, nil
}

// printed is f as text, for the interpreter to parse again.
func printed(f *syntax.File) (string, error) {
	var b strings.Builder
	if err := syntax.NewPrinter().Print(&b, f); err != nil {
		return "", fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	return b.String(), nil
}

func parse(src []byte, name string) (*syntax.File, error) {
	// Bash's grammar: the interpreter runs `local` only as parsed by it.
	file, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(bytes.NewReader(src), name)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	return file, nil
}

func (s *script) run(ctx context.Context, args []string, o Options) (int, error) {
	env := o.Env
	if env == nil {
		env = os.Environ()
	}
	dir := o.Dir
	if dir == "" {
		dir = "/"
	}
	params := []string{}
	for _, f := range s.flags {
		params = append(params, "-"+string(f))
	}
	params = append(append(params, "--"), args...)
	st := &state{o: o, funcs: maps.Clone(s.funcs), subshells: s.subshells, sourcing: map[string]string{}}
	r, err := interp.New(
		interp.Env(expand.ListEnviron(env...)),
		interp.Dir(dir),
		interp.StdIO(o.Stdin, o.Stdout, o.Stderr),
		interp.Params(params...),
		interp.CallHandler(st.call),
		interp.ExecHandlers(st.exec),
		interp.OpenHandler(st.open),
	)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	err = r.Run(ctx, s.file)
	var status interp.ExitStatus
	if errors.As(err, &status) {
		return int(status), nil
	}
	if err != nil {
		if errors.Is(err, ErrStopped) {
			return 0, err
		}
		return 0, fmt.Errorf("%w in %s: %w", ErrStopped, s.path, err)
	}
	return 0, nil
}

// checkSourcedFiles fails, before the script runs, on a file it sources
// by a literal path that the interpreter could not run exactly: the
// script then runs in the real shell, rather than stop part way.
func checkSourcedFiles(f *syntax.File) error {
	var bad error
	syntax.Walk(f, func(n syntax.Node) bool {
		ce, ok := n.(*syntax.CallExpr)
		if !ok || bad != nil || len(ce.Args) < 2 {
			return bad == nil
		}
		if name := ce.Args[0].Lit(); name != "." && name != "source" {
			return true
		}
		path := ce.Args[1].Lit()
		if !filepath.IsAbs(path) {
			return true
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return true
		}
		if _, err := prepared(src, path); err != nil {
			bad = fmt.Errorf("sourcing %s: %w", path, err)
		}
		return true
	})
	return bad
}
