package standin

import (
	"debug/elf"
	"os"
	"path/filepath"
	"strings"

	"github.com/osbuildkit/osbuildkit/internal/securejoin"
)

// BuildrootDir is where a step that runs a foreign tree mounts the host
// buildroot, read-only, for its native shell.
const BuildrootDir = "/run/osbuild/buildroot"

// shellScripts are the tree's shell scripts run by the buildroot's native
// dash: mkinitramfs forks a subshell or more for every file it considers
// (an emulated fork and shell each time), and with its commands standing
// in natively, the shell is what is left.
var shellScripts = map[string]bool{"mkinitramfs": true}

// NativeShell is how to run the buildroot's dash from inside the tree:
// its dynamic loader, the loader's arguments and dash, all within
// BuildrootDir; nil when there is no buildroot or no dash in it.
func NativeShell() []string { return nativeShell(BuildrootDir) }

func nativeShell(root string) []string {
	dash, err := securejoin.Join(root, "/usr/bin/dash")
	if err != nil {
		return nil
	}
	f, err := elf.Open(dash)
	if err != nil {
		return nil
	}
	defer f.Close()
	var interp string
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err != nil {
				return nil
			}
			interp = strings.TrimRight(string(b), "\x00")
		}
	}
	if interp == "" {
		return []string{dash} // a static dash
	}
	loader, err := securejoin.Join(root, interp)
	if err != nil {
		return nil
	}
	if _, err := os.Stat(loader); err != nil {
		return nil
	}
	libs := []string{filepath.Dir(loader)}
	more, _ := filepath.Glob(filepath.Join(root, "usr/lib/*-linux-gnu*/libc.so.6"))
	for _, m := range more {
		if d := filepath.Dir(m); d != libs[0] {
			libs = append(libs, d)
		}
	}
	return []string{loader, "--library-path", strings.Join(libs, ":"), dash}
}
