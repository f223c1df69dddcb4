package shrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/interp"
	"mvdan.cc/sh/v3/syntax"
)

// Commands the call handler substitutes for builtins the interpreter runs
// otherwise than dash (echo) or not at all (umask).
const (
	echoCommand  = "__osbuildkit_echo"
	umaskCommand = "__osbuildkit_umask"
)

// unimplemented are the builtins the interpreter does not have; a script
// that calls one stops (and is run again by the real shell).
var unimplemented = []string{"bg", "bind", "builtin", "caller", "compgen", "complete", "compopt", "disown", "enable", "fc", "fg", "history", "jobs", "kill", "let", "logout", "newgrp", "suspend", "ulimit"}

// state is one script's run: its handlers, and the functions it and the
// files it sourced define (a delegated subshell must call none).
type state struct {
	o         Options
	subshells []string
	mu        sync.Mutex
	funcs     map[string]bool
	sourcing  map[string]string // path: the text to give the source builtin
}

func (st *state) isFunc(name string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.funcs[name]
}

// call rewrites the builtins that would differ from dash's and stops the
// run on what the interpreter cannot do exactly.
func (st *state) call(ctx context.Context, args []string) ([]string, error) {
	name := args[0]
	if st.isFunc(name) {
		return args, nil
	}
	switch {
	case name == "echo":
		return append([]string{echoCommand}, args[1:]...), nil
	case name == "umask":
		return append([]string{umaskCommand}, args[1:]...), nil
	case name == "trap":
		return trapArgs(args), nil
	case name == "." || name == "source":
		if len(args) < 2 {
			return args, nil
		}
		return args, st.prepareSourced(interp.HandlerCtx(ctx).Dir, args[1])
	case name == "eval":
		text, err := rewritten(strings.Join(args[1:], " "), "eval")
		return []string{"eval", text}, err
	case name == "command" && len(args) > 1 && args[1] != "-v" && args[1] != "-V":
		return st.call(ctx, args[1:])
	case slices.Contains(unimplemented, name):
		return nil, fmt.Errorf("%w: the builtin %s", ErrUnsupported, name)
	}
	return args, nil
}

// trapArgs keeps trap's EXIT (0) and ERR conditions: the interpreter has
// no others, and a build step's shell is not sent signals it traps.
func trapArgs(args []string) []string {
	if len(args) < 3 || strings.HasPrefix(args[1], "-") {
		return args
	}
	kept := []string{args[0], args[1]}
	for _, sig := range args[2:] {
		switch sig {
		case "0", "EXIT":
			kept = append(kept, "EXIT")
		case "ERR":
			kept = append(kept, sig)
		}
	}
	if len(kept) == 2 {
		return []string{":"}
	}
	return kept
}

// prepareSourced checks a file the builtin is about to source and has
// the open handler give the builtin its text with fixJumps applied.
func (st *state) prepareSourced(dir, path string) error {
	if !strings.Contains(path, "/") {
		return fmt.Errorf("%w: sourcing %s from PATH", ErrUnsupported, path)
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil // the builtin says so
	}
	f, err := prepared(src, path)
	if err != nil {
		return err
	}
	text, err := printed(f)
	if err != nil {
		return err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	for n := range funcNames(f) {
		st.funcs[n] = true
	}
	st.sourcing[filepath.Clean(path)] = text
	return nil
}

// open gives the source builtin the text prepareSourced made.
func (st *state) open(ctx context.Context, path string, flag int, perm os.FileMode) (io.ReadWriteCloser, error) {
	if flag == os.O_RDONLY {
		st.mu.Lock()
		text, ok := st.sourcing[filepath.Clean(path)]
		delete(st.sourcing, filepath.Clean(path))
		st.mu.Unlock()
		if ok {
			return readOnly{strings.NewReader(text)}, nil
		}
	}
	return interp.DefaultOpenHandler()(ctx, path, flag, perm)
}

type readOnly struct{ *strings.Reader }

func (readOnly) Write([]byte) (int, error) { return 0, os.ErrPermission }
func (readOnly) Close() error              { return nil }

// rewritten is text (eval's) with fixJumps applied.
func rewritten(text, what string) (string, error) {
	f, err := prepared([]byte(text), what)
	if err != nil {
		return "", err
	}
	return printed(f)
}

// prepared parses a file the interpreter runs as it is (sourced, or
// eval's text): it must need no delegated subshell.
func prepared(src []byte, name string) (*syntax.File, error) {
	f, err := parseToRun(src, name)
	if err != nil {
		return nil, err
	}
	var bad error
	syntax.Walk(f, func(n syntax.Node) bool {
		if rd, ok := n.(*syntax.Redirect); ok && unsupportedRedirect(rd) && bad == nil {
			bad = fmt.Errorf("%w: %s: redirection of file descriptor %s", ErrUnsupported, rd.Pos(), redirectFD(rd))
		}
		return bad == nil
	})
	return f, bad
}

// nativeDirs are where the programs Options.Native stands in for live.
var nativeDirs = []string{"/usr/bin", "/bin", "/usr/sbin", "/sbin"}

// exec runs a program: a native stand-in, a /bin/sh script in a new
// interpreter, a delegated subshell in the real shell, or else the
// program itself.
func (st *state) exec(next interp.ExecHandlerFunc) interp.ExecHandlerFunc {
	return func(ctx context.Context, args []string) error {
		hc := interp.HandlerCtx(ctx)
		switch args[0] {
		case subshellCommand:
			return st.runSubshell(ctx, hc, args[1])
		case echoCommand:
			return dashEcho(hc.Stdout, args[1:])
		case umaskCommand:
			return umask(hc, args[1:])
		}
		p := args[0]
		if !strings.Contains(p, "/") {
			found, err := interp.LookPathDir(hc.Dir, hc.Env, p)
			if err != nil {
				return next(ctx, args)
			}
			p = found
		} else if !filepath.IsAbs(p) {
			p = hc.Dir + "/" + p
		}
		if st.o.Native != nil && slices.Contains(nativeDirs, filepath.Dir(p)) && absoluteOperands(filepath.Base(p), args[1:]) {
			if status, ok := st.o.Native(filepath.Base(p), args[1:], hc.Stdout, hc.Stderr); ok {
				return exitStatus(status)
			}
		}
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			s, err := load(p)
			if err == nil {
				o := st.o
				o.Env, o.Dir, o.Stdin, o.Stdout, o.Stderr = exported(hc.Env), hc.Dir, hc.Stdin, hc.Stdout, hc.Stderr
				status, err := s.run(ctx, args[1:], o)
				if err != nil {
					return err
				}
				return exitStatus(status)
			}
			if !errors.Is(err, ErrUnsupported) {
				return err
			}
			if st.o.Log != nil && !errors.Is(err, errNotShell) {
				fmt.Fprintf(st.o.Log, "osbuildkit: %s runs in the tree's shell (%v)\n", p, err)
			}
		}
		return next(ctx, args)
	}
}

func exitStatus(status int) error {
	if status == 0 {
		return nil
	}
	return interp.ExitStatus(uint8(status))
}

// absoluteOperands says whether every argument that is not an option is
// an absolute path: a native stand-in resolves paths from this process's
// directory, not the script's.
func absoluteOperands(name string, args []string) bool {
	for i, a := range args {
		if name == "modinfo" && i > 0 && (args[i-1] == "-k" || args[i-1] == "-F") {
			continue // a kernel version, a field
		}
		if !strings.HasPrefix(a, "-") && !filepath.IsAbs(a) {
			return false
		}
	}
	return true
}

// exported is the environment a program started from hc gets.
func exported(env expand.Environ) []string {
	var list []string
	env.Each(func(name string, vr expand.Variable) bool {
		if vr.Exported && vr.IsSet() && vr.Kind == expand.String {
			list = append(list, name+"="+vr.Str)
		}
		return true
	})
	return list
}
