package stages

import (
	"encoding/json"
	"maps"
	"slices"
)

// org.osbuild.chmod: change mode bits with chmod(1) syntax ("0444",
// "u+x,go-w"), optionally recursively.
func init() {
	Define(Definition[chmodOptions]{Type: "org.osbuild.chmod", Run: runChmod})
}

type chmodOptions struct {
	Items map[string]chmodItem `json:"items"`
}

type chmodItem struct {
	Mode      string `json:"mode"`
	Recursive bool   `json:"recursive"`
}

// UnmarshalJSON ignores keys osbuild's schema lets through unchecked.
func (i *chmodItem) UnmarshalJSON(b []byte) error {
	type plain chmodItem
	return json.Unmarshal(b, (*plain)(i))
}

func runChmod(rt *Runtime, o *chmodOptions) error {
	for _, p := range slices.Sorted(maps.Keys(o.Items)) {
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
