package shrun

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// subshellCommand stands, in a parsed script, for a subshell delegated to
// the real shell; its argument is the subshell's index.
const subshellCommand = "__osbuildkit_subshell"

// delegate replaces each subshell that uses a file descriptor above 2
// (the interpreter knows only 0, 1 and 2) with subshellCommand, keeping
// its text to run in the real shell. Such a redirection outside any
// subshell, or a delegated subshell that reads the positional
// parameters, makes the script ErrUnsupported.
func (s *script) delegate() error {
	var stack []syntax.Node
	var bad error
	replace := map[*syntax.Stmt]bool{}
	syntax.Walk(s.file, func(n syntax.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		stack = append(stack, n)
		rd, ok := n.(*syntax.Redirect)
		if !ok || !unsupportedRedirect(rd) || bad != nil {
			return true
		}
		outer := outermostSubshell(stack)
		if outer == nil {
			bad = fmt.Errorf("%w: %s: redirection of file descriptor %s outside a subshell", ErrUnsupported, rd.Pos(), redirectFD(rd))
			return true
		}
		replace[outer] = true
		return true
	})
	if bad != nil {
		return bad
	}
	var err error
	syntax.Walk(s.file, func(n syntax.Node) bool {
		st, ok := n.(*syntax.Stmt)
		if !ok || !replace[st] || err != nil {
			return true
		}
		if usesParams(st.Cmd) {
			err = fmt.Errorf("%w: %s: a subshell for the real shell reads the positional parameters", ErrUnsupported, st.Pos())
			return false
		}
		var b strings.Builder
		if err = syntax.NewPrinter().Print(&b, st.Cmd); err != nil {
			return false
		}
		st.Cmd = &syntax.CallExpr{Args: []*syntax.Word{lit(subshellCommand), lit(strconv.Itoa(len(s.subshells)))}}
		s.subshells = append(s.subshells, b.String())
		return false
	})
	if err != nil && !errors.Is(err, ErrUnsupported) {
		return fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	return err
}

// outermostSubshell is the statement, among the walk's stack, of the
// outermost subshell enclosing the top node, not counting a subshell
// whose own redirections hold it.
func outermostSubshell(stack []syntax.Node) *syntax.Stmt {
	for i := 0; i+1 < len(stack); i++ {
		st, ok := stack[i].(*syntax.Stmt)
		if !ok {
			continue
		}
		if _, ok := st.Cmd.(*syntax.Subshell); ok && stack[i+1] == st.Cmd {
			return st
		}
	}
	return nil
}

// unsupportedRedirect is a redirection of or to a file descriptor the
// interpreter does not have.
func unsupportedRedirect(rd *syntax.Redirect) bool {
	if rd.N != nil && rd.N.Value != "0" && rd.N.Value != "1" && rd.N.Value != "2" {
		return true
	}
	switch rd.Op {
	case syntax.DplOut:
		w := rd.Word.Lit()
		return w != "1" && w != "2" && w != "-"
	case syntax.DplIn:
		return rd.Word.Lit() != "-"
	}
	return false
}

func redirectFD(rd *syntax.Redirect) string {
	if rd.N != nil && unsupportedRedirect(&syntax.Redirect{N: rd.N}) {
		return rd.N.Value
	}
	return rd.Word.Lit()
}

// usesParams says whether n reads $1…, $@, $* or $#.
func usesParams(n syntax.Node) bool {
	found := false
	syntax.Walk(n, func(n syntax.Node) bool {
		if pe, ok := n.(*syntax.ParamExp); ok {
			switch v := pe.Param.Value; {
			case v == "@", v == "*", v == "#":
				found = true
			case v != "0" && strings.Trim(v, "0123456789") == "":
				found = true
			}
		}
		return !found
	})
	return found
}

func funcNames(f *syntax.File) map[string]bool {
	names := map[string]bool{}
	syntax.Walk(f, func(n syntax.Node) bool {
		if fd, ok := n.(*syntax.FuncDecl); ok {
			names[fd.Name.Value] = true
		}
		return true
	})
	return names
}

func lit(s string) *syntax.Word { return &syntax.Word{Parts: []syntax.WordPart{&syntax.Lit{Value: s}}} }
