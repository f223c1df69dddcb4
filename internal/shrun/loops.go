package shrun

import (
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"

	"mvdan.cc/sh/v3/syntax"
)

// The interpreter (mvdan.cc/sh v3.14.1) checks for break and continue only
// between the statements of a loop's body: after `continue` within an if,
// a case or a { } block, or after `break 2` in an inner loop, the rest of
// those blocks still runs. fixJumps makes each such jump set a flag of the
// loops it leaves, cleared at the start of their body, and puts what
// follows it in each block under `if [ -z "$flag" ]`: the same for dash.
// A jump it cannot place (in a condition, a pipeline, a subshell or a
// function outside its loop) makes the script ErrUnsupported.
func fixJumps(f *syntax.File) error {
	var jumps []jump
	var bad error
	var stack []syntax.Node
	syntax.Walk(f, func(n syntax.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		stack = append(stack, n)
		if ce, ok := n.(*syntax.CallExpr); ok && bad == nil && isJump(ce) {
			j, err := placeJump(ce, stack)
			if err != nil {
				bad = fmt.Errorf("%w: %s: %s %v", ErrUnsupported, ce.Pos(), ce.Args[0].Lit(), err)
			}
			jumps = append(jumps, j)
		}
		return true
	})
	if bad != nil {
		return bad
	}
	flags := map[syntax.Command]string{}
	flag := func(loop syntax.Command) string {
		if flags[loop] == "" {
			flags[loop] = "__osbuildkit_jump_" + strconv.FormatUint(loopIDs.Add(1), 10)
		}
		return flags[loop]
	}
	guards := map[*[]*syntax.Stmt]map[int]string{}
	for _, j := range jumps {
		if len(j.guards) == 0 {
			continue
		}
		var set []string
		for _, l := range j.loops {
			set = append(set, flag(l)+"=1")
		}
		j.stmt.Cmd = &syntax.Block{Stmts: append(parseStmts(strings.Join(set, "; ")), &syntax.Stmt{Cmd: j.stmt.Cmd})}
		for _, g := range j.guards {
			if guards[g.list] == nil {
				guards[g.list] = map[int]string{}
			}
			guards[g.list][g.index] = flag(g.loop)
		}
	}
	for list, at := range guards {
		for i := len(*list) - 2; i >= 0; i-- {
			if name, ok := at[i]; ok {
				guard := parseStmts(`if [ -z "${` + name + `-}" ]; then :; fi`)
				guard[0].Cmd.(*syntax.IfClause).Then = (*list)[i+1:]
				*list = append((*list)[:i+1:i+1], guard...)
			}
		}
	}
	for loop, name := range flags {
		body := loopBody(loop)
		*body = append(parseStmts(name+"="), *body...)
	}
	return nil
}

var loopIDs atomic.Uint64

// jump is a break or continue: its statement, the loops it leaves
// (innermost first), and the blocks whose rest it must skip.
type jump struct {
	stmt   *syntax.Stmt
	loops  []syntax.Command
	guards []guard
}

// guard is the rest of list after index, inside loop's body.
type guard struct {
	list  *[]*syntax.Stmt
	index int
	loop  syntax.Command
}

func isJump(ce *syntax.CallExpr) bool {
	if len(ce.Args) == 0 {
		return false
	}
	w := ce.Args[0].Lit()
	return w == "break" || w == "continue"
}

// placeJump finds, from the walk's stack, the loops the jump ce leaves and
// the blocks between it and them.
func placeJump(ce *syntax.CallExpr, stack []syntax.Node) (jump, error) {
	count := 1
	if len(ce.Args) > 2 {
		return jump{}, fmt.Errorf("with more than one argument")
	}
	if len(ce.Args) == 2 {
		n, err := strconv.Atoi(ce.Args[1].Lit())
		if err != nil || n < 1 {
			return jump{}, fmt.Errorf("with a count that is not a literal number")
		}
		count = n
	}
	j := jump{stmt: stack[len(stack)-2].(*syntax.Stmt)}
	var pending []guard // guards whose loop is the next loop up
	for i := len(stack) - 2; i > 0; i-- {
		st, ok := stack[i].(*syntax.Stmt)
		if !ok {
			continue
		}
		switch p := stack[i-1].(type) {
		case *syntax.WhileClause:
			if !inList(p.Do, st) {
				return jump{}, fmt.Errorf("in a loop's condition")
			}
			j.loops = append(j.loops, p)
		case *syntax.ForClause:
			j.loops = append(j.loops, p)
		case *syntax.IfClause:
			if inList(p.Cond, st) {
				return jump{}, fmt.Errorf("in an if's condition")
			}
			pending = addGuard(pending, &p.Then, st)
		case *syntax.Block:
			pending = addGuard(pending, &p.Stmts, st)
		case *syntax.CaseItem:
			pending = addGuard(pending, &p.Stmts, st)
		case *syntax.BinaryCmd:
			// After a jump, the interpreter's status is 0: `a && break ||
			// b` skips b as dash does, and `break && b` would run b.
			if p.Op == syntax.Pipe || p.Op == syntax.PipeAll || (p.X == st && p.Op != syntax.OrStmt) {
				return jump{}, fmt.Errorf("where the interpreter would go on")
			}
			continue
		default:
			return jump{}, fmt.Errorf("outside a loop, or in a subshell or a function")
		}
		if n := len(j.loops); n > 0 && (len(pending) > 0 || n > 1) && stack[i-1] == j.loops[n-1] {
			for _, g := range pending {
				g.loop = j.loops[n-1]
				j.guards = append(j.guards, g)
			}
			pending = nil
		}
		if len(j.loops) == count {
			return j, nil
		}
	}
	return jump{}, fmt.Errorf("outside a loop")
}

func addGuard(pending []guard, list *[]*syntax.Stmt, st *syntax.Stmt) []guard {
	for i, s := range *list {
		if s == st && i < len(*list)-1 {
			return append(pending, guard{list: list, index: i})
		}
	}
	return pending
}

func loopBody(loop syntax.Command) *[]*syntax.Stmt {
	if w, ok := loop.(*syntax.WhileClause); ok {
		return &w.Do
	}
	return &loop.(*syntax.ForClause).Do
}

func inList(list []*syntax.Stmt, st *syntax.Stmt) bool {
	for _, s := range list {
		if s == st {
			return true
		}
	}
	return false
}

// parseStmts parses the statements of fixJumps's own text.
func parseStmts(src string) []*syntax.Stmt {
	f, err := syntax.NewParser().Parse(strings.NewReader(src), "")
	if err != nil {
		panic(err) // our own constant text
	}
	return f.Stmts
}
