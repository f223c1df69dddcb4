package stages

import (
	"testing"

	"github.com/osbuildkit/osbuildkit/disk"
	"github.com/osbuildkit/osbuildkit/manifest"
)

const bootManifest = `{"version": "2", "pipelines": [
 {"name": "os", "stages": [
  {"type": "org.osbuild.debootstrap", "options": {"suite": "bookworm", "variant": "minbase"}},
  {"type": "org.osbuild.apt", "options": {"packages": ["linux-image-amd64"]}},
  {"type": "org.osbuild.fstab", "options": {"filesystems": [
    {"uuid": "4b2e5ec8-36a6-4bd5-9d4b-2f7c1d6c9a31", "vfs_type": "ext4", "path": "/"},
    {"label": "data", "vfs_type": "ext4", "path": "/srv"}]}},
  {"type": "org.osbuild.grub2", "options": {"root_fs_uuid": "4b2e5ec8-36a6-4bd5-9d4b-2f7c1d6c9a31", "uefi": {"vendor": "debian"}}}]},
 {"name": "image", "stages": [
  {"type": "org.osbuild.image", "inputs": {"tree": {"type": "org.osbuild.tree", "origin": "org.osbuild.pipeline", "references": ["name:os"]}},
   "options": {"filename": "disk.raw", "size": "2G", "partitions": [{"start": 1048576, "size": 1000000000, "type": "ext4", "mountpoint": "/"}]}}]}]}`

// The disk stage's boot checks are located at the stage of the tree that
// should change: the packages for an init or kernel, grub2's option for
// its configuration and firmware (the stage's options when it does not
// set that option), the fstab entry; the disk stage itself when the tree
// has no such stage.
func TestBootFindingsAreLocatedAtTheStageToChange(t *testing.T) {
	m, err := manifest.Load("m.json", []byte(bootManifest))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := planStage(t, m, m.Pipelines[1], 0)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Exec.Report == nil {
		t.Fatal("the disk stage's plan asks for no boot report")
	}
	for check, want := range map[disk.BootFinding]string{
		{Check: disk.CheckInit}:                     ".pipelines[0].stages[1].options.packages",
		{Check: disk.CheckKernel}:                   ".pipelines[0].stages[1].options.packages",
		{Check: disk.CheckGRUBRoot}:                 ".pipelines[0].stages[3].options.root_fs_uuid",
		{Check: disk.CheckEFI}:                      ".pipelines[0].stages[3].options.uefi",
		{Check: disk.CheckBIOS}:                     ".pipelines[0].stages[3].options",
		{Check: disk.CheckSerialCons}:               ".pipelines[0].stages[3].options",
		{Check: disk.CheckFstab, Ref: "LABEL=data"}: ".pipelines[0].stages[2].options.filesystems[1]",
		{Check: disk.CheckFstab, Ref: "UUID=4B2E5EC8-36A6-4BD5-9D4B-2F7C1D6C9A31"}: ".pipelines[0].stages[2].options.filesystems[0]",
		{Check: disk.CheckFstab, Ref: "PARTUUID=x"}:                                ".pipelines[0].stages[2].options.filesystems",
	} {
		if _, path := plan.Exec.Report(check); path.String() != want {
			t.Errorf("%+v located at %s, want %s", check, path, want)
		}
	}
	bare, err := manifest.Load("m.json", []byte(`{"version": "2", "pipelines": [{"name": "os", "stages": [{"type": "org.osbuild.mkdir", "options": {"paths": [{"path": "/srv"}]}}]},
	 {"name": "image", "stages": [{"type": "org.osbuild.image", "inputs": {"tree": {"type": "org.osbuild.tree", "origin": "org.osbuild.pipeline", "references": ["name:os"]}},
	  "options": {"filename": "disk.raw", "size": "2G", "partitions": [{"start": 1048576, "size": 1000000000, "type": "ext4", "mountpoint": "/"}]}}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	plan, err = planStage(t, bare, bare.Pipelines[1], 0)
	if err != nil {
		t.Fatal(err)
	}
	if st, path := plan.Exec.Report(disk.BootFinding{Check: disk.CheckInit}); st != bare.Pipelines[1].Stages[0] || path.String() != ".pipelines[1].stages[0].options" {
		t.Errorf("without a package stage the finding is at %s, want the disk stage's options", path)
	}
}
