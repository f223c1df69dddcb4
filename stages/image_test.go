package stages

import (
	"testing"

	"github.com/osbuildkit/osbuildkit/manifest"
)

func imageManifest(t *testing.T, partitions string) *manifest.Manifest {
	t.Helper()
	m, err := manifest.Load("m.json", []byte(`{"version": "2", "pipelines": [
		{"name": "os", "stages": [{"type": "org.osbuild.grub2", "options": {"root_fs_uuid": "6e4ff95f-f662-45ee-a82a-bdf44a2d0b75", "uefi": {"vendor": "debian"}}}]},
		{"name": "image", "stages": [{"type": "org.osbuild.image",
			"inputs": {"tree": {"type": "org.osbuild.tree", "origin": "org.osbuild.pipeline", "references": ["name:os"]}},
			"options": {"filename": "disk.img", "size": "1G", "partitions": [`+partitions+`]}}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// A disk whose root filesystem has no UUID gets the one the tree's grub2
// stage boots, in the helper's options; one that names it keeps its own.
func TestImageTakesRootUUIDFromGrub2(t *testing.T) {
	m := imageManifest(t, `{"start": 1048576, "size": 104857600, "type": "ext4", "mountpoint": "/"}`)
	plan, err := planStage(t, m, m.Pipelines[1], 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := plan.Exec.Options["root_fs_uuid"]; got != "6e4ff95f-f662-45ee-a82a-bdf44a2d0b75" {
		t.Errorf("handed root_fs_uuid %v, want grub2's", got)
	}
	if len(plan.Outputs) != 1 || plan.Outputs[0] != "disk.img" {
		t.Errorf("outputs %v", plan.Outputs)
	}
	m = imageManifest(t, `{"start": 1048576, "size": 104857600, "filesystem": {"type": "ext4", "uuid": "11111111-2222-4333-8444-555555555555", "mountpoint": "/"}}`)
	if plan, err := planStage(t, m, m.Pipelines[1], 0); err != nil || plan.Exec.Options != nil {
		t.Errorf("a root filesystem with its own UUID got options %v (%v)", plan.Exec.Options, err)
	}
}
