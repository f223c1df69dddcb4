package stages

import (
	"strings"
	"testing"
)

func TestNoEffectRule(t *testing.T) {
	m, err := loadStages(t, `{"type": "org.osbuild.grub2", "options": {"root_fs_uuid": "6e4ff95f-f662-45ee-a82a-bdf44a2d0b75", "legacy": true, "greenboot": true, "ignition": false}}`)
	if err != nil {
		t.Fatal(err)
	}
	findings := Check(m, m.Pipelines[0])
	if len(findings) != 1 || findings[0].Rule != "NoEffectHere" || findings[0].At.Path.String() != ".pipelines[0].stages[0].options.greenboot" ||
		!strings.Contains(findings[0].At.Err.Error(), "Debian has no greenboot") {
		t.Errorf("findings %v", findings)
	}
}
