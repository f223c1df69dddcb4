package stages

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// org.osbuild.systemd.unit: a drop-in DROPIN for UNIT, in
// /usr/lib/systemd/system/UNIT.d (or, with unit-type "global",
// /usr/lib/systemd/user/UNIT.d), written as osbuild writes it: an
// Environment list becomes one Environment="KEY=VALUE" line per entry.
// File operations only.
func init() {
	Define(Definition[systemdUnitOptions]{Type: "org.osbuild.systemd.unit", Plan: planSystemdUnit})
}

type systemdUnitOptions struct {
	Unit     string          `json:"unit"`
	Dropin   string          `json:"dropin"`
	Config   json.RawMessage `json:"config"`
	UnitType string          `json:"unit-type"`
}

func planSystemdUnit(c *Context, o *systemdUnitOptions) (*Plan, error) {
	if len(o.Unit+".d") > 255 {
		return nil, c.OptionError(manifest.Path{"unit"}, "the drop-in directory %s.d is longer than a file name may be (255)", o.Unit)
	}
	dir := "/usr/lib/systemd/system/"
	if o.UnitType == "global" {
		dir = "/usr/lib/systemd/user/"
	}
	ini, err := iniOf(c.written(manifest.Path{"config"}, o.Config), environmentList)
	if err != nil {
		return nil, c.StageError("config: %v", err)
	}
	return &Plan{Files: WriteFile(dir+o.Unit+".d/"+o.Dropin, 0o644, ini.bytes())}, nil
}

// environmentList writes a list value as osbuild does: one key-only line
// "KEY=VALUE" per item, an Environment item quoted.
func environmentList(s *iniSection, key string, raw json.RawMessage) (bool, error) {
	if !strings.HasPrefix(strings.TrimSpace(string(raw)), "[") {
		return false, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return false, err
	}
	for _, it := range items {
		v := pyStr(it)
		if key == "Environment" {
			var kv struct {
				Key   string          `json:"key"`
				Value json.RawMessage `json:"value"`
			}
			if err := json.Unmarshal(it, &kv); err != nil {
				return false, fmt.Errorf("%s: %w", key, err)
			}
			v = `"` + kv.Key + "=" + pyStr(kv.Value) + `"`
		}
		s.set(key+"="+v, nil)
	}
	return true, nil
}
