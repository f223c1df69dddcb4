package shrun

import (
	"fmt"

	"mvdan.cc/sh/v3/syntax"
)

// checkCalls fails if the subshell text body calls one of the script's
// functions, which the real shell would not have.
func checkCalls(body string, isFunc func(string) bool) error {
	f, err := parse([]byte(body), "subshell")
	if err != nil {
		return err
	}
	var bad error
	syntax.Walk(f, func(n syntax.Node) bool {
		ce, ok := n.(*syntax.CallExpr)
		if !ok || len(ce.Args) == 0 || bad != nil {
			return bad == nil
		}
		name := ce.Args[0].Lit()
		if name == "" || isFunc(name) {
			bad = fmt.Errorf("%w: %s: a subshell for the real shell calls %q, maybe one of the script's functions", ErrUnsupported, ce.Pos(), name)
		}
		return true
	})
	return bad
}
