package stages

import (
	"testing"
)

func TestPackageName(t *testing.T) {
	for in, want := range map[string]string{"sudo": "sudo", "linux-image-amd64=6.1": "linux-image-amd64", "vim/bookworm-backports": "vim", "libc6:i386": "libc6", "nano-": "", "lib*": ""} {
		if got := packageName(in); got != want {
			t.Errorf("packageName(%q) = %q, want %q", in, got, want)
		}
	}
}
