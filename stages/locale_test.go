package stages

import (
	"testing"
)

func TestEnableLocale(t *testing.T) {
	gen := "# en_US ISO-8859-1\n# en_US.UTF-8 UTF-8\n# de_DE.UTF-8 UTF-8\n"
	got, ok := enableLocale(gen, "en_US.UTF-8")
	if !ok || got != "# en_US ISO-8859-1\nen_US.UTF-8 UTF-8\n# de_DE.UTF-8 UTF-8\n" {
		t.Errorf("enableLocale = %q, %v", got, ok)
	}
	if _, ok := enableLocale(gen, "xx_XX.UTF-8"); ok {
		t.Error("an unknown locale was enabled")
	}
}
