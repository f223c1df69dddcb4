package stages

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"

	"github.com/osbuildkit/osbuildkit/disk"
)

// Report writes the stage's findings where the build reads them back
// (ReportDir, present when the plan set Exec.Report) and into the log. A
// step without that directory only logs them.
func (rt *Runtime) Report(findings []disk.BootFinding) error {
	for _, f := range findings {
		rt.Logf("boot check (%s): %s", f.Check, f.Message)
	}
	if _, err := os.Stat(ReportDir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if findings == nil {
		findings = []disk.BootFinding{}
	}
	raw, err := json.Marshal(findings)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(ReportDir, ReportFile), raw, 0o644)
}

// ReadReport decodes what Report wrote.
func ReadReport(raw []byte) ([]disk.BootFinding, error) {
	var out []disk.BootFinding
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	return out, nil
}
