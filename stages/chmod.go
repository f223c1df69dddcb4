package stages

import (
	"github.com/osbuildkit/osbuildkit/manifest"
)

// chmod is org.osbuild.chmod: change mode bits with chmod(1) syntax
// ("0444", "u+x,go-w"), optionally recursively.
type chmod struct{}

var _ Runner = chmod{}

func init() { Register(manifest.KindStage, chmod{}) }

func (chmod) Type() string { return "org.osbuild.chmod" }

type chmodOptions struct {
	Items map[string]struct {
		Mode      string `json:"mode"`
		Recursive bool   `json:"recursive"`
	} `json:"items"`
}

func (chmod) Plan(st *manifest.Stage) (*Plan, error) {
	var o chmodOptions
	if err := decode(st, &o); err != nil {
		return nil, err
	}
	return execInBuildroot(), nil
}

func (chmod) Run(rt *Runtime) error {
	var o chmodOptions
	if err := rt.Decode(&o); err != nil {
		return err
	}
	for _, p := range sortedNames(o.Items) {
		item := o.Items[p]
		full, err := rt.Path(p)
		if err != nil {
			return err
		}
		args := []string{item.Mode, full}
		if item.Recursive {
			args = append([]string{"-R"}, args...)
		}
		if err := rt.Run("chmod", args...); err != nil {
			return err
		}
	}
	return nil
}
