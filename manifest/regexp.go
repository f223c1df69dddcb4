package manifest

import (
	"time"

	"github.com/dlclark/regexp2"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// pythonRegexp compiles a schema pattern the way osbuild's validator reads
// it: Python's re, searching (not anchored), with lookahead, and "$"
// matching before a final line break. regexp2's default syntax agrees with
// Python's on the patterns osbuild's schemas use; Go's RE2 has no
// lookahead.
func pythonRegexp(s string) (jsonschema.Regexp, error) {
	re, err := regexp2.Compile(s, regexp2.None)
	if err != nil {
		return nil, err
	}
	// A pattern that backtracks without end on some input fails to match
	// rather than hanging validation.
	re.MatchTimeout = time.Second
	return (*searchRegexp)(re), nil
}

type searchRegexp regexp2.Regexp

func (r *searchRegexp) MatchString(s string) bool {
	ok, err := (*regexp2.Regexp)(r).MatchString(s)
	return err == nil && ok
}

func (r *searchRegexp) String() string { return (*regexp2.Regexp)(r).String() }
