package stages

import (
	"strings"
	"testing"
)

// An El Torito core image (core.filesystem iso9660) is a file of its own:
// written without a location, refused with one, at the option.
func TestGrub2InstISO9660Plan(t *testing.T) {
	const stage = `{"type": "org.osbuild.grub2.inst", "options": {"filename": "images/eltorito.img", "platform": "i386-pc", %s
		"core": {"type": "mkimage", "partlabel": "gpt", "filesystem": "iso9660"}, "prefix": {"path": "/boot/grub2/"}}}`
	if _, err := planOf(t, strings.Replace(stage, "%s", "", 1)); err != nil {
		t.Errorf("without a location: %v", err)
	}
	_, err := planOf(t, strings.Replace(stage, "%s", `"location": 2048,`, 1))
	if err == nil || !strings.Contains(err.Error(), ".options.location") || !strings.Contains(err.Error(), "El Torito image of its own") {
		t.Errorf("with a location: %v", err)
	}
}
