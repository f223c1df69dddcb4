package stages

import (
	"fmt"
	"strings"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// org.osbuild.sysctld: a sysctl.d(5) file in /usr/lib/sysctl.d; a key with
// a leading "-" excludes it. File operations only.
func init() {
	Define(Definition[sysctldOptions]{Type: "org.osbuild.sysctld", Plan: planSysctld})
}

type sysctldOptions struct {
	Filename string `json:"filename"`
	Config   []struct {
		Key   string  `json:"key"`
		Value *string `json:"value"`
	} `json:"config"`
}

func planSysctld(c *Context, o *sysctldOptions) (*Plan, error) {
	var b strings.Builder
	for i, e := range o.Config {
		switch {
		case strings.HasPrefix(e.Key, "-"):
			b.WriteString(e.Key + "\n")
		case e.Value == nil:
			return nil, c.OptionError(manifest.Path{"config", i}, "key %q needs a value (or a leading '-' to exclude it)", e.Key)
		default:
			fmt.Fprintf(&b, "%s = %s\n", e.Key, *e.Value)
		}
	}
	return &Plan{Files: WriteFile("/usr/lib/sysctl.d/"+o.Filename, 0o644, []byte(b.String()))}, nil
}
