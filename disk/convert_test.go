package disk

import (
	"slices"
	"testing"
)

// osbuild's qemu stage compresses qcow2 and vmdk unless told not to and
// writes vpc fixed-size; what the manifest says wins.
func TestQemuImgArgs(t *testing.T) {
	no := false
	for _, tc := range []struct {
		f    Format
		want []string
	}{
		{Format{Type: "qcow2"}.OsbuildDefaults(), []string{"-c", "-o", "compat=1.1"}},
		{Format{Type: "qcow2", Compression: &no, Compat: "0.10"}.OsbuildDefaults(), []string{"-o", "compat=0.10"}},
		{Format{Type: "qcow2"}, []string{"-o", "compat=1.1"}},
		{Format{Type: "vmdk", Compat6: true, Subformat: "streamOptimized", AdapterType: "lsilogic"}.OsbuildDefaults(),
			[]string{"-c", "-o", "adapter_type=lsilogic", "-o", "compat6", "-o", "subformat=streamOptimized"}},
		{Format{Type: "vpc"}.OsbuildDefaults(), []string{"-o", "subformat=fixed", "-o", "force_size=on"}},
		{Format{Type: "vpc", Subformat: "dynamic", ForceSize: &no}.OsbuildDefaults(), []string{"-o", "subformat=dynamic"}},
		{Format{Type: "vhdx"}.OsbuildDefaults(), nil},
	} {
		if got := tc.f.qemuImgArgs(); !slices.Equal(got, tc.want) {
			t.Errorf("%+v: %q, want %q", tc.f, got, tc.want)
		}
	}
}
