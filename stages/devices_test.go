package stages

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/osbuildkit/osbuildkit/schemas"
)

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

// Every option osbuild's device and mount schemas accept has a field.
func TestDeviceAndMountSchemasDecode(t *testing.T) {
	for dir, typ := range map[schemas.Kind]reflect.Type{schemas.Mount: reflect.TypeFor[mountOptions](), schemas.Device: reflect.TypeFor[loopbackOptions]()} {
		fields := map[string]bool{}
		for i := range typ.NumField() {
			tag, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			fields[tag] = true
		}
		for _, name := range schemas.Names(dir) {
			data, _ := schemas.Module(dir, name)
			var s struct {
				Properties struct {
					Options struct {
						Properties map[string]any `json:"properties"`
					} `json:"options"`
				} `json:"properties"`
			}
			if err := json.Unmarshal(data, &s); err != nil {
				t.Fatal(err)
			}
			for opt := range s.Properties.Options.Properties {
				if !fields[opt] {
					t.Errorf("%s %s: the schema accepts %q, which %s has no field for", dir, name, opt, typ)
				}
			}
		}
	}
}
