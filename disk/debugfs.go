package disk

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"syscall"
)

// debugfs runs script (debugfs commands) on the ext4 filesystem at byte
// offset of raw, writable; what names the work in errors. debugfs exits 0
// when a command fails, so anything it prints past its banner is an error.
func debugfs(r Runner, raw string, offset int64, script []byte, epoch *int64, what string) error {
	file := raw + ".debugfs"
	if err := os.WriteFile(file, script, 0o600); err != nil {
		return err
	}
	defer os.Remove(file)
	var errs bytes.Buffer
	cmd := exec.Command("debugfs", "-w", "-f", file, fmt.Sprintf("%s?offset=%d", raw, offset))
	cmd.Stdout, cmd.Stderr = io.Discard, &errs
	if err := r.Exec(e2fsTimes(cmd, epoch)); err != nil {
		return fmt.Errorf("%s with debugfs: %w: %s", what, err, strings.TrimSpace(errs.String()))
	}
	lines := strings.Split(strings.TrimSpace(errs.String()), "\n")
	if len(lines) > 0 && strings.HasPrefix(lines[0], "debugfs ") {
		lines = lines[1:]
	}
	if len(lines) > 0 && lines[0] != "" {
		return fmt.Errorf("%s with debugfs: %s", what, strings.Join(lines, "; "))
	}
	return nil
}

// debugfsName is name quoted for debugfs (whose parser takes everything
// between double quotes as it is, and "" as one), or an error for a name
// it cannot take (one with a line break: debugfs reads a line per
// command). systemd's unit names keep their backslashes.
func debugfsName(name string) (string, error) {
	if strings.ContainsAny(name, "\n\r") {
		return "", fmt.Errorf("%q has a line break, which debugfs cannot take", name)
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`, nil
}

// clampScript is the debugfs commands that clamp the times mkfs.ext4 -d
// copied from src (atime, mtime, ctime; ctime is whenever the builder
// wrote the file) to epoch, as tar's --clamp-mtime does for all three:
// the same tree then gives the same filesystem on any builder. Names
// debugfs cannot take are returned apart.
func clampScript(src string, epoch int64) (script []byte, skipped []string, err error) {
	var b bytes.Buffer
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return nil
		}
		rel, _ := filepath.Rel(src, p)
		name, err := debugfsName(path.Join("/", filepath.ToSlash(rel)))
		if err != nil {
			skipped = append(skipped, rel)
			return nil
		}
		for _, f := range []struct {
			field string
			sec   int64
		}{{"atime", st.Atim.Sec}, {"mtime", st.Mtim.Sec}, {"ctime", st.Ctim.Sec}} {
			if f.sec > epoch {
				fmt.Fprintf(&b, "sif %s %s @%d\n", name, f.field, epoch)
			}
		}
		return nil
	})
	return b.Bytes(), skipped, err
}

// clampTimes clamps the times of the ext4 filesystem of partition p, made
// from src, to epoch (clampScript).
func clampTimes(r Runner, p Partition, src, raw string, epoch int64) error {
	script, skipped, err := clampScript(src, epoch)
	if err != nil {
		return err
	}
	if len(skipped) > 0 {
		r.Logf("note: %d names in %s keep their build times (debugfs cannot take them), e.g. %q", len(skipped), p.FS.Mountpoint, skipped[0])
	}
	if len(script) == 0 {
		return nil
	}
	return debugfs(r, raw, p.Start, script, &epoch, "clamping the filesystem's times to the source-epoch")
}
