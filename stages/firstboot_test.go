package stages

import (
	"strings"
	"testing"
)

// osbuild's unit: the flag file guards it and is removed first; each
// command is an ExecStart= line; the unit is wanted by default.target.
func TestFirstBootUnit(t *testing.T) {
	plan, err := planOf(t, `{"type": "org.osbuild.first-boot", "options": {"commands": ["/usr/bin/ssh-keygen -A", "/bin/sh -c 'echo done'"], "wait_for_network": true}}`)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	links := map[string]string{}
	for _, f := range plan.Files {
		switch {
		case f.Mkfile != nil:
			files[f.Mkfile.Path] = string(f.Mkfile.Data)
		case f.Symlink != nil:
			links[f.Symlink.Path] = f.Symlink.Target
		}
	}
	want := "[Unit]\nDescription=OSBuild First Boot Service\nConditionPathExists=/etc/osbuild-first-boot\n" +
		"Wants=network-online.target\nAfter=network-online.target\n\n[Service]\nType=oneshot\n" +
		"ExecStart=/usr/bin/rm /etc/osbuild-first-boot\nExecStart=/usr/bin/ssh-keygen -A\nExecStart=/bin/sh -c 'echo done'\n"
	if got := files["/usr/lib/systemd/system/osbuild-first-boot.service"]; got != want {
		t.Errorf("unit:\n%s\nwant:\n%s", got, want)
	}
	if flag, ok := files["/etc/osbuild-first-boot"]; !ok || flag != "" {
		t.Errorf("flag file %q (present %v), want an empty file", flag, ok)
	}
	if got := links["/usr/lib/systemd/system/default.target.wants/osbuild-first-boot.service"]; got != "../osbuild-first-boot.service" {
		t.Errorf("default.target.wants link -> %q", got)
	}
	plan, err = planOf(t, `{"type": "org.osbuild.first-boot", "options": {"commands": []}}`)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range plan.Files {
		if f.Mkfile != nil && strings.Contains(string(f.Mkfile.Data), "network-online") {
			t.Error("wait_for_network defaults to true")
		}
	}
}

// A line break would add lines (sections, ExecStartPre=) to the unit.
func TestFirstBootRefusesLineBreaks(t *testing.T) {
	for c, msg := range map[string]string{`"true\n[Service]\nUser=root"`: "has a line break", `"true\rx"`: "has a line break", `""`: "the command is empty"} {
		_, err := planOf(t, `{"type": "org.osbuild.first-boot", "options": {"commands": ["/bin/true", `+c+`]}}`)
		if err == nil || !strings.Contains(err.Error(), ".pipelines[0].stages[0].options.commands[1]") || !strings.Contains(err.Error(), msg) {
			t.Errorf("command %s: got %v, want an error at .options.commands[1] saying %q", c, err, msg)
		}
	}
	if _, err := planOf(t, `{"type": "org.osbuild.first-boot", "options": {}}`); err == nil || !strings.Contains(err.Error(), "commands") {
		t.Errorf("missing commands: %v", err)
	}
}
