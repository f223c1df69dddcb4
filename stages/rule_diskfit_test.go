package stages

import (
	"strings"
	"testing"

	"github.com/osbuildkit/osbuildkit/manifest"
)

func TestDiskFitRule(t *testing.T) {
	m, err := manifest.Load("m.json", []byte(`{"version": "2", "pipelines": [{"name": "os", "stages": []}, {"name": "image", "stages": [
		{"type": "org.osbuild.image", "inputs": {"tree": {"type": "org.osbuild.tree", "origin": "org.osbuild.pipeline", "references": ["name:os"]}},
		"options": {"filename": "d.img", "size": "10M", "partitions": [{"start": 1048576, "size": 10485760, "type": "ext4", "mountpoint": "/"}]}}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	findings := Check(m, m.Pipelines[1])
	if len(findings) != 1 || findings[0].Rule != "DiskPartitionFitted" {
		t.Fatalf("findings %v, want one DiskPartitionFitted", findings)
	}
	if got := findings[0].At.Path.String(); got != ".pipelines[1].stages[0].options.partitions[0].size" {
		t.Errorf("located at %s", got)
	}
	if !strings.Contains(findings[0].At.Err.Error(), "fitted it to the disk") {
		t.Errorf("says %v", findings[0].At.Err)
	}
}
