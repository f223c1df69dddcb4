package disk

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/osbuildkit/osbuildkit/manifest"
)

func diskLayout(t *testing.T, options string) (*Disk, []*manifest.LocationError, error) {
	t.Helper()
	var o Options
	if err := json.Unmarshal([]byte(options), &o); err != nil {
		t.Fatal(err)
	}
	return o.Layout()
}

// The users' qcow2 example: byte-sized partitions, filesystem names as
// types, and a root partition 17 MiB too long for its 10G disk.
func TestLayoutOfUsersExample(t *testing.T) {
	d, warnings, err := diskLayout(t, `{"size": "10G", "ptuuid": "12345678-1234-1234-1234-123456789012", "partitions": [
		{"name": "esp", "start": 1048576, "size": 268435456, "type": "fat32", "mountpoint": "/boot/efi"},
		{"name": "root", "start": 269484032, "size": 10485760000, "type": "ext4", "mountpoint": "/"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	if d.PTType != "gpt" || d.Partitions[0].Type != GPTESP || d.Partitions[1].Type != GPTLinux {
		t.Errorf("types: %s %s %s", d.PTType, d.Partitions[0].Type, d.Partitions[1].Type)
	}
	if fs := d.Partitions[0].FS; fs.Type != "vfat" || fs.FatSize != 32 || fs.Mountpoint != "/boot/efi" {
		t.Errorf("ESP filesystem %+v", fs)
	}
	if want := int64(10<<30 - 34*512 - 269484032); d.Partitions[1].Size != want {
		t.Errorf("root size %d, want %d (fitted to the disk)", d.Partitions[1].Size, want)
	}
	if len(warnings) != 1 || warnings[0].Path.String() != ".partitions[1].size" ||
		!strings.Contains(warnings[0].Err.Error(), "partition 2 ends 17.0 MiB after the usable end of the disk") {
		t.Errorf("warnings %v", warnings)
	}
}

func TestLayoutErrors(t *testing.T) {
	for _, tc := range []struct{ name, options, path, msg string }{
		{"overlap", `{"size": "1G", "partitions": [{"start": 1048576, "size": 104857600, "type": "ext4"}, {"start": 52428800, "size": 1048576, "type": "ext4"}]}`,
			".partitions[1].start", "partition 2 overlaps partition 1"},
		{"overrun, not last", `{"size": "100M", "partitions": [{"start": 1048576, "size": 209715200, "type": "ext4"}, {"start": 2097152, "size": 1048576, "type": "ext4"}]}`,
			".partitions[0].size", "past the end of the 104857600-byte disk"},
		{"inside the table", `{"size": "1G", "partitions": [{"start": 512, "size": 1048576, "type": "ext4"}]}`,
			".partitions[0].start", "inside the partition table"},
		{"mountpoint without filesystem", `{"size": "1G", "partitions": [{"start": 1048576, "size": 1048576, "type": "83", "mountpoint": "/"}]}`,
			".partitions[0].mountpoint", "needs a filesystem"},
		{"bad size", `{"size": "1Q", "partitions": []}`, ".size", `unknown unit "Q"`},
	} {
		_, _, err := diskLayout(t, tc.options)
		var le *manifest.LocationError
		if !errors.As(err, &le) || le.Path.String() != tc.path || !strings.Contains(le.Err.Error(), tc.msg) {
			t.Errorf("%s: got %v, want %s: %s", tc.name, err, tc.path, tc.msg)
		}
	}
}

// osbuild's form counts sectors and describes filesystems in "filesystem".
func TestLayoutOsbuildForm(t *testing.T) {
	d, _, err := diskLayout(t, `{"size": 2147483648, "ptuuid": "0x14fc63d2", "root_fs_uuid": "6e4ff95f-f662-45ee-a82a-bdf44a2d0b75",
		"partitions": [{"start": 2048, "size": 4192256, "bootable": true, "filesystem": {"type": "ext4", "mountpoint": "/"}}]}`)
	if err != nil {
		t.Fatal(err)
	}
	p := d.Partitions[0]
	if d.PTType != "dos" || p.Start != 1<<20 || p.Size != 2047<<20 || p.Type != "83" || p.FS.UUID != "6e4ff95f-f662-45ee-a82a-bdf44a2d0b75" {
		t.Errorf("layout %+v %+v", d, p.FS)
	}
}

func TestDerivedIdentitiesAreStable(t *testing.T) {
	first, again := DerivedUUID("a", "1"), DerivedUUID("a", "1")
	if first != again || first == DerivedUUID("a", "2") {
		t.Error("derived UUIDs are not a function of their seed")
	}
	if !isGUID(DerivedUUID("x")) {
		t.Errorf("%q is not a UUID", DerivedUUID("x"))
	}
}
