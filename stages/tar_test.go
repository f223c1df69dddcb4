package stages

import (
	"os"
	"slices"
	"strings"
	"testing"
)

func TestCompressorFallsBack(t *testing.T) {
	only := func(have ...string) func(string) (string, error) {
		return func(p string) (string, error) {
			if slices.Contains(have, p) {
				return "/usr/bin/" + p, nil
			}
			return "", os.ErrNotExist
		}
	}
	if got, _ := compressor("gzip", only("gzip")); !slices.Equal(got, []string{"--use-compress-program=gzip -n"}) {
		t.Errorf("gzip without pigz: %q", got)
	}
	if got, _ := compressor("gzip", only("pigz", "gzip")); !slices.Equal(got, []string{"--use-compress-program=pigz -n"}) {
		t.Errorf("gzip with pigz: %q", got)
	}
	if _, err := compressor("zstd", only()); err == nil || !strings.Contains(err.Error(), "needs zstd in the buildroot") {
		t.Errorf("zstd missing: %v", err)
	}
	if _, err := compressor("brotli", only()); err == nil {
		t.Error("unknown compression accepted")
	}
}
