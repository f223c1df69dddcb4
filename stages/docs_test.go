package stages

import (
	"os"
	"strings"
	"testing"
)

// docs/architecture.md shows timezone.go whole, as the example of a stage:
// it must be the file as it is.
func TestArchitectureExampleIsTimezone(t *testing.T) {
	doc, err := os.ReadFile("../docs/architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("timezone.go")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(doc), "(`stages/timezone.go`):\n\n```go\n")
	block, _, closed := strings.Cut(after, "```\n")
	if !ok || !closed || block != string(src) {
		t.Errorf("docs/architecture.md's example is not stages/timezone.go as it is")
	}
}
