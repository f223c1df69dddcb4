package standin

import (
	"debug/elf"
	"os"
	"path/filepath"
	"strings"

	"github.com/osbuildkit/osbuildkit/internal/securejoin"
)

// BuildrootDir is where a step that runs a foreign tree mounts the host
// buildroot, read-only, for its native programs.
const BuildrootDir = "/run/osbuild/buildroot"

// buildrootPrograms are the tree's programs whose stand-in runs the
// buildroot's own, natively. mkinitramfs is a script, run by the
// buildroot's dash: it forks a subshell or more for every file it
// considers (an emulated fork each time), and with its commands standing
// in, the shell is what is left. (gzip, which compresses the initramfs,
// stands in natively in every tree: gzip.go.)
var buildrootPrograms = map[string]struct {
	path   string
	script bool
}{
	"mkinitramfs": {"/usr/bin/dash", true},
}

// BuildrootProgram is how to run the buildroot's program path from inside
// the tree: its dynamic loader, the loader's arguments and the program,
// all within BuildrootDir; nil when there is no buildroot or no such
// program in it.
func BuildrootProgram(path string) []string { return nativeProgram(BuildrootDir, path) }

// NativeShell is BuildrootProgram of the buildroot's dash.
func NativeShell() []string { return BuildrootProgram("/usr/bin/dash") }

func nativeProgram(root, path string) []string {
	prog, err := securejoin.Join(root, path)
	if err != nil {
		return nil
	}
	f, err := elf.Open(prog)
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
		return []string{prog} // static
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
	return []string{loader, "--library-path", strings.Join(libs, ":"), prog}
}
