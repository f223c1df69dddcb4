package localbuild

import (
	"slices"
	"testing"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// Several platforms export each pipeline under the platform's directory,
// as BuildKit's local exporter lays them out; one or none, as written.
func TestExportDirs(t *testing.T) {
	arm := ocispecs.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}
	amd := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	if got := exportDirs([]string{"tree"}, []ocispecs.Platform{arm}); !slices.Equal(got, []string{"tree"}) {
		t.Errorf("one platform: %v", got)
	}
	got := exportDirs([]string{"tree", "disk"}, []ocispecs.Platform{amd, arm})
	want := []string{"linux_amd64/tree", "linux_amd64/disk", "linux_arm_v7/tree", "linux_arm_v7/disk"}
	if !slices.Equal(got, want) {
		t.Errorf("two platforms: %v, want %v", got, want)
	}
}
