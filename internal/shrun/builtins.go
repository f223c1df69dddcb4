package shrun

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strconv"
	"strings"

	"github.com/osbuildkit/osbuildkit/internal/standin"
	"golang.org/x/sys/unix"
	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/interp"
)

// dashEcho is dash's echo: -n only as the first argument, and the
// backslash escapes always interpreted (\c ends the output).
func dashEcho(out io.Writer, args []string) error {
	newline := true
	if len(args) > 0 && args[0] == "-n" {
		newline, args = false, args[1:]
	}
	var b bytes.Buffer
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		if stop := unescape(&b, a); stop {
			newline = false
			break
		}
	}
	if newline {
		b.WriteByte('\n')
	}
	_, err := out.Write(b.Bytes())
	if err != nil {
		return interp.ExitStatus(1)
	}
	return nil
}

// unescape writes s with dash's echo escapes interpreted; stop is \c.
func unescape(b *bytes.Buffer, s string) (stop bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'c':
			return true
		case 'e':
			b.WriteByte(0x1b)
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'v':
			b.WriteByte('\v')
		case '\\':
			b.WriteByte('\\')
		case '0':
			// \0 and up to three octal digits
			n, j := 0, i+1
			for ; j < len(s) && j < i+4 && s[j] >= '0' && s[j] <= '7'; j++ {
				n = n*8 + int(s[j]-'0')
			}
			b.WriteByte(byte(n))
			i = j - 1
		default:
			b.WriteByte('\\')
			b.WriteByte(s[i])
		}
	}
	return false
}

var octalMask = regexp.MustCompile(`^[0-7]{1,4}$`)

// umask is the builtin for the process: the interpreter's programs and
// stand-ins, and the files its redirections create, all get it.
func umask(hc interp.HandlerContext, args []string) error {
	switch {
	case len(args) == 0:
		fmt.Fprintf(hc.Stdout, "%04o\n", standin.Umask())
		return nil
	case len(args) == 1 && octalMask.MatchString(args[0]):
		m, _ := strconv.ParseUint(args[0], 8, 32)
		unix.Umask(int(m))
		return nil
	}
	return fmt.Errorf("%w: umask %s", ErrUnsupported, strings.Join(args, " "))
}

// runSubshell runs a delegated subshell in the real shell, given the
// interpreter's variables: exported ones in its environment, the others
// assigned first.
func (st *state) runSubshell(ctx context.Context, hc interp.HandlerContext, index string) error {
	i, err := strconv.Atoi(index)
	if err != nil || i < 0 || i >= len(st.subshells) {
		return fmt.Errorf("in-process shell: no subshell %q", index)
	}
	var prologue strings.Builder
	hc.Env.Each(func(name string, vr expand.Variable) bool {
		if !vr.Exported && vr.IsSet() && vr.Kind == expand.String && validName(name) {
			fmt.Fprintf(&prologue, "%s=%s\n", name, quote(vr.Str))
		}
		return true
	})
	body := st.subshells[i]
	if err := checkCalls(body, st.isFunc); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", prologue.String()+body)
	cmd.Env, cmd.Dir = exported(hc.Env), hc.Dir
	cmd.Stdin, cmd.Stdout, cmd.Stderr = hc.Stdin, hc.Stdout, hc.Stderr
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return exitStatus(ee.ExitCode())
	}
	return err
}

var nameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func validName(n string) bool { return nameRE.MatchString(n) }

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
