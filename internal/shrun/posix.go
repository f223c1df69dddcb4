package shrun

import (
	"fmt"

	"mvdan.cc/sh/v3/syntax"
)

// bashism is the first construct in f that dash would read otherwise than
// the bash grammar the interpreter parses with, or "" if there is none.
func bashism(f syntax.Node) string {
	found := ""
	syntax.Walk(f, func(n syntax.Node) bool {
		if found != "" {
			return false
		}
		what := ""
		switch n := n.(type) {
		case *syntax.TestClause:
			what = "[[ ]]"
		case *syntax.ArithmCmd:
			what = "(( ))"
		case *syntax.LetClause:
			what = "let"
		case *syntax.ProcSubst:
			what = "process substitution"
		case *syntax.ExtGlob:
			what = "extended glob"
		case *syntax.CoprocClause:
			what = "coproc"
		case *syntax.ArrayExpr:
			what = "array"
		case *syntax.SglQuoted:
			if n.Dollar {
				what = "$'…'"
			}
		case *syntax.DblQuoted:
			if n.Dollar {
				what = `$"…"`
			}
		case *syntax.FuncDecl:
			if n.RsrvWord {
				what = "function keyword"
			}
		case *syntax.DeclClause:
			if v := n.Variant.Value; v != "local" && v != "export" && v != "readonly" {
				what = v
			}
		case *syntax.BinaryCmd:
			if n.Op == syntax.PipeAll {
				what = "|&"
			}
			if n.Op == syntax.Pipe && callsUmask(n) {
				what = "umask in a pipeline" // the process's, shared by the interpreter's subshells
			}
		case *syntax.Subshell:
			if callsUmask(n) {
				what = "umask in a subshell"
			}
		case *syntax.CmdSubst:
			if callsUmask(n) {
				what = "umask in a command substitution"
			}
		case *syntax.ParamExp:
			if n.Slice != nil || n.Repl != nil || n.Excl || n.Index != nil || n.Names != 0 || n.Width || n.Flags != nil || n.NestedParam != nil || len(n.Modifiers) > 0 {
				what = "bash parameter expansion"
			}
			if n.Exp != nil {
				switch n.Exp.Op {
				case syntax.MatchEmpty, syntax.UpperFirst, syntax.UpperAll, syntax.LowerFirst, syntax.LowerAll, syntax.OtherParamOps:
					what = "bash parameter expansion"
				}
			}
		case *syntax.Redirect:
			switch n.Op {
			case syntax.RdrAll, syntax.AppAll, syntax.WordHdoc, syntax.RdrInOut, syntax.RdrClob:
				what = "redirection " + n.Op.String()
			}
		}
		if what != "" {
			found = fmt.Sprintf("%s: %s", n.Pos(), what)
		}
		return true
	})
	return found
}

// callsUmask says whether n sets the umask (umask MODE).
func callsUmask(n syntax.Node) bool {
	found := false
	syntax.Walk(n, func(n syntax.Node) bool {
		if ce, ok := n.(*syntax.CallExpr); ok && len(ce.Args) > 1 && ce.Args[0].Lit() == "umask" {
			found = true
		}
		return !found
	})
	return found
}
