package stages

import "github.com/osbuildkit/osbuildkit/manifest"

// timezone is org.osbuild.timezone: /etc/localtime links to the zone in
// /usr/share/zoneinfo (tzdata) and /etc/timezone names it. File
// operations only.
type timezone struct{}

var _ Stage = timezone{}

func init() { Register(manifest.KindStage, timezone{}) }

func (timezone) Type() string { return "org.osbuild.timezone" }

func (timezone) Plan(st *manifest.Stage) (*Plan, error) {
	var o struct {
		Zone string `json:"zone"`
	}
	if err := decode(st, &o); err != nil {
		return nil, err
	}
	files := WriteSymlink("/etc/localtime", "/usr/share/zoneinfo/"+o.Zone)
	files = append(files, WriteFile("/etc/timezone", 0o644, []byte(o.Zone+"\n"))...)
	return &Plan{Files: files}, nil
}
