package stages

import (
	"testing"
)

// writtenFiles are the files a plan writes, by path.
func writtenFiles(p *Plan) map[string]string {
	out := map[string]string{}
	for _, f := range p.Files {
		if f.Mkfile != nil {
			out[f.Mkfile.Path] = string(f.Mkfile.Data)
		}
	}
	return out
}

// The files osbuild's stages write for these options (osbuild at the
// pinned commit, run on the same options), byte for byte.
func TestConfigFilesAsOsbuildWritesThem(t *testing.T) {
	for _, c := range []struct {
		stage, path, want string
	}{
		{`{"type": "org.osbuild.systemd-journald", "options": {"filename": "10-osbk.conf", "config": {"Journal": {"Storage": "persistent", "Compress": "yes", "Audit": ""}}}}`,
			"/usr/lib/systemd/journald.conf.d/10-osbk.conf", "[Journal]\nStorage=persistent\nCompress=yes\nAudit=\n\n"},
		{`{"type": "org.osbuild.systemd.unit", "options": {"unit": "nm-cloud-setup.service", "dropin": "10-rh-enable-for-ec2.conf", "config": {"Service": {"Environment": [{"key": "NM_CLOUD_SETUP_EC2", "value": "yes"}, {"key": "B", "value": "x y"}]}, "Unit": {"ConditionPathExists": "/etc/x"}}}}`,
			"/usr/lib/systemd/system/nm-cloud-setup.service.d/10-rh-enable-for-ec2.conf",
			"[Service]\nEnvironment=\"NM_CLOUD_SETUP_EC2=yes\"\nEnvironment=\"B=x y\"\n\n[Unit]\nConditionPathExists=/etc/x\n\n"},
		{`{"type": "org.osbuild.systemd.unit", "options": {"unit": "a.timer", "dropin": "b.conf", "unit-type": "global", "config": {"Service": {"Environment": "A=1"}}}}`,
			"/usr/lib/systemd/user/a.timer.d/b.conf", "[Service]\nEnvironment=A=1\n\n"},
		{`{"type": "org.osbuild.rpm.macros", "options": {"filename": "etc/rpm/macros.x", "macros": {"_dbpath": "/usr/share/rpm", "_install_langs": ["en_US", "de_DE"]}}}`,
			"/etc/rpm/macros.x", "%_dbpath /usr/share/rpm\n%_install_langs en_US:de_DE\n"},
	} {
		p, err := planOf(t, c.stage)
		if err != nil {
			t.Errorf("%s: %v", c.stage, err)
			continue
		}
		files := writtenFiles(p)
		if got, ok := files[c.path]; !ok || got != c.want {
			t.Errorf("%s: %s = %q, want %q (files: %v)", c.stage, c.path, got, c.want, files)
		}
	}
}
