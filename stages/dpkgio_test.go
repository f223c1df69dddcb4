package stages

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// dpkg accepts the force flags the apt and debootstrap stages give it
// (an unknown one makes it fail), and they keep dpkg's two defaults.
func TestDpkgUnsafeIOFlags(t *testing.T) {
	env := withDpkgUnsafeIO([]string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"})
	if !slices.Contains(env, dpkgUnsafeIO) {
		t.Fatalf("env %q", env)
	}
	cmd := exec.Command("dpkg", "--audit")
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("dpkg with %s: %v\n%s", dpkgUnsafeIO, err, out)
	}
	help, _ := exec.Command("dpkg", "--force-help").Output()
	for _, line := range strings.Split(string(help), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "[*]" && !strings.Contains(dpkgUnsafeIO, f[1]) {
			t.Errorf("dpkg's default force flag %s is dropped by %s", f[1], dpkgUnsafeIO)
		}
	}
}
