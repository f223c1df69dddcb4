package stages

import (
	"strings"
	"testing"
)

func TestSortVersions(t *testing.T) {
	v := []string{"6.1.0-9-amd64", "6.1.0-10-amd64", "5.10.0-30-amd64"}
	sortVersions(v)
	if strings.Join(v, " ") != "6.1.0-10-amd64 6.1.0-9-amd64 5.10.0-30-amd64" {
		t.Errorf("sorted %v", v)
	}
}
