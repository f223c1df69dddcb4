package stages

import (
	"encoding/json"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// org.osbuild.systemd-journald: a drop-in for systemd-journald
// (/usr/lib/systemd/journald.conf.d/FILENAME) with the sections and
// settings of "config", written as osbuild writes it. File operations
// only.
func init() {
	Define(Definition[journaldOptions]{Type: "org.osbuild.systemd-journald", Plan: planJournald})
}

type journaldOptions struct {
	Filename string          `json:"filename"`
	Config   json.RawMessage `json:"config"`
}

func planJournald(c *Context, o *journaldOptions) (*Plan, error) {
	ini, err := iniOf(c.written(manifest.Path{"config"}, o.Config), nil)
	if err != nil {
		return nil, c.StageError("config: %v", err)
	}
	path := "/usr/lib/systemd/journald.conf.d/" + o.Filename
	return &Plan{Files: WriteFile(path, 0o644, ini.bytes())}, nil
}

// iniOf is the ini file of an object of sections of settings, in the
// manifest's order; list, when set, writes a setting whose value is a
// list (systemd.unit's Environment).
func iniOf(config json.RawMessage, list func(s *iniSection, key string, raw json.RawMessage) (bool, error)) (*iniFile, error) {
	sections, err := orderedObject(config)
	if err != nil {
		return nil, err
	}
	f := &iniFile{}
	for _, sec := range sections {
		s := f.section(sec.Key)
		settings, err := orderedObject(sec.Value)
		if err != nil {
			return nil, err
		}
		for _, kv := range settings {
			if list != nil {
				done, err := list(s, kv.Key, kv.Value)
				if err != nil {
					return nil, err
				}
				if done {
					continue
				}
			}
			v := pyStr(kv.Value)
			s.set(kv.Key, &v)
		}
	}
	return f, nil
}
