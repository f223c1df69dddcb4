package stages

import "testing"

// Mount options reach the filesystem as osbuild passes them; a name the
// schema does not have is refused.
func TestMountOptions(t *testing.T) {
	o, err := decodeOptions[mountOptions]([]byte(`{"ro": true, "norecovery": true, "subvol": "root", "compress": "zstd:1"}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := o.data(); got != "norecovery,subvol=root,compress=zstd:1" {
		t.Errorf("mount data %q", got)
	}
	if o, err := decodeOptions[mountOptions]([]byte(`null`)); err != nil || o.data() != "" {
		t.Errorf("no options: %q, %v", o.data(), err)
	}
	if _, err := decodeOptions[mountOptions]([]byte(`{"readonly": true, "noatime": true}`)); err == nil {
		t.Error("an unknown mount option was accepted")
	}
}
