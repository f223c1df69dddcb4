package stages

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// org.osbuild.sshd.config: a drop-in that Debian's sshd_config includes
// first, so its settings win (sshd keeps the first value it reads). File
// operations only.
func init() {
	Define(Definition[sshdConfigOptions]{Type: "org.osbuild.sshd.config", Plan: planSSHDConfig})
}

type sshdConfigOptions struct {
	Config map[string]any `json:"config"`
}

func planSSHDConfig(_ *Context, o *sshdConfigOptions) (*Plan, error) {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(o.Config)) {
		v := o.Config[k]
		switch x := v.(type) {
		case bool:
			v = map[bool]string{true: "yes", false: "no"}[x]
		case float64:
			v = int64(x)
		}
		fmt.Fprintf(&b, "%s %v\n", k, v)
	}
	return &Plan{Files: WriteFile("/etc/ssh/sshd_config.d/50-osbuildkit.conf", 0o644, []byte(b.String()))}, nil
}
