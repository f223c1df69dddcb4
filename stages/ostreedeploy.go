package stages

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// ostreeDeployment names an OSTree deployment in the tree, as osbuild's
// stages take it: by stateroot (osname), ref and serial, or the only one
// there is ("default").
type ostreeDeployment struct {
	OSName  string   `json:"osname"`
	Ref     string   `json:"ref"`
	Serial  *float64 `json:"serial"`
	Default bool     `json:"default"`
}

// UnmarshalJSON ignores keys osbuild's schema lets through unchecked.
func (d *ostreeDeployment) UnmarshalJSON(b []byte) error {
	type plain ostreeDeployment
	return json.Unmarshal(b, (*plain)(d))
}

var deploymentDir = regexp.MustCompile(`/ostree/deploy/([^/]+)/deploy/([^/]+)\.([0-9]+)$`)

// path is the deployment's root, inside the tree.
func (d ostreeDeployment) path(rt *Runtime) (string, error) {
	if d.Default {
		found, err := filepath.Glob(filepath.Join(rt.Tree, "ostree/deploy/*/deploy/*.0"))
		if err != nil {
			return "", err
		}
		if len(found) != 1 {
			return "", fmt.Errorf("the tree has %d OSTree deployments (ostree/deploy/*/deploy/*.0), not one", len(found))
		}
		m := deploymentDir.FindStringSubmatch(found[0])
		if m == nil {
			return "", fmt.Errorf("cannot read the deployment %s", found[0])
		}
		return fmt.Sprintf("/ostree/deploy/%s/deploy/%s.%s", m[1], m[2], m[3]), nil
	}
	repo, err := rt.Path("/ostree/repo")
	if err != nil {
		return "", err
	}
	out, err := rt.Output("ostree", "rev-parse", "--repo="+repo, d.Ref)
	if err != nil {
		return "", err
	}
	serial := 0.0
	if d.Serial != nil {
		serial = *d.Serial
	}
	return fmt.Sprintf("/ostree/deploy/%s/deploy/%s.%s", d.OSName, strings.TrimSpace(string(out)), strconvFloat(serial)), nil
}

// strconvFloat prints a JSON number as Python does for whole numbers.
func strconvFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
