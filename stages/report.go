package stages

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"

	"github.com/osbuildkit/osbuildkit/disk"
	"github.com/osbuildkit/osbuildkit/internal/blocksum"
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

// ReportSums writes the block digests of the disk image the step wrote,
// when it has them (disk.Convert), beside its findings (SumsFile): the
// output copy then needs no step of its own to hash the image. A step
// without ReportDir writes nothing.
func (rt *Runtime) ReportSums(sums []blocksum.Sum) error {
	if sums == nil {
		return nil
	}
	if _, err := os.Stat(ReportDir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return os.WriteFile(filepath.Join(ReportDir, SumsFile), blocksum.Encode(sums), 0o644)
}

// ReadReport decodes what Report wrote.
func ReadReport(raw []byte) ([]disk.BootFinding, error) {
	var out []disk.BootFinding
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	return out, nil
}
