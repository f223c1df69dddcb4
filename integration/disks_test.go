//go:build integration

package integration

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// osbuild's v2 disk stages without privileges: sfdisk and grub2.inst on a
// file, then qemu-img conversions from a files input.
func TestV2DiskStages(t *testing.T) {
	out := t.TempDir()
	args := []string{"build", "--progress", "plain", "--output-directory", out}
	for _, e := range []string{"image", "vmdk", "vdi", "vpc", "vhdx", "xz"} {
		args = append(args, "--export", e)
	}
	run(t, 0, cli, append(args, manifestFile(t, "integration/testdata/v2-disk.json"))...)
	img := filepath.Join(out, "image", "disk.img")
	table := run(t, 0, "sfdisk", "--dump", img)
	wantContains(t, "partition table", table, "label: gpt", "label-id: D8A1E3B2-7C6F-4E5D-9A8B-1C2D3E4F5A6B",
		"start=        2048, size=        4096, type=21686148-6449-6E6F-744E-656564454649", "uuid=0B8F6A1E-2D3C-4B5A-8E7F-6A5B4C3D2E1F, name=\"root\", attrs=\"LegacyBIOSBootable\"")
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mbr := make([]byte, 512)
	f.ReadAt(mbr, 0)
	if got := binary.LittleEndian.Uint64(mbr[0x5c:]); got != 2048 {
		t.Errorf("boot.img points at sector %d, want 2048", got)
	}
	if mbr[510] != 0x55 || mbr[511] != 0xaa {
		t.Error("the MBR lost its signature")
	}
	core := make([]byte, 512)
	f.ReadAt(core, 2048*512)
	if got := binary.LittleEndian.Uint64(core[0x1f4:]); got != 2049 {
		t.Errorf("core.img's blocklist starts at %d, want 2049", got)
	}
	for name, want := range map[string]string{"vmdk": "file format: vmdk", "vdi": "file format: vdi", "vpc": "file format: vpc", "vhdx": "file format: vhdx"} {
		// -f: a fixed-size VHD (osbuild's vpc default) probes as raw
		info := run(t, 0, "qemu-img", "info", "-f", name, filepath.Join(out, name, "disk."+name))
		wantContains(t, name, info, want)
		if name != "vpc" { // VHD rounds the size to a CHS geometry
			wantContains(t, name, info, "virtual size: 64 MiB")
		}
	}
	run(t, 0, "xz", "-t", filepath.Join(out, "xz", "disk.xz"))
}

// A partition fitted to the disk is reported from the plan, so the warning
// is there on every build, also when the disk step comes from the cache;
// so are the boot checks the disk step made (its partition is marked
// bootable, its minbase tree has neither init nor kernel), read back from
// the step's output. buildctl's plain and tty displays print a warning
// only if its step is updated again after it arrives (BuildKit's
// progressui, as for Dockerfile lint warnings), so buildctl's check reads
// the status stream itself.
func TestDiskLayoutWarningWhenCached(t *testing.T) {
	manifest := manifestFile(t, "integration/testdata/small-disk.json", func(s string) string {
		return strings.Replace(s, `"size": 4190208`, `"size": 4194304`, 1) // 1 MiB past the end
	})
	const fitted = "partition 1 ends 1.0 MiB after the usable end of the disk; fitted it to the disk: 2146435072 bytes instead of 2147483648"
	const noInit = "the tree has no /sbin/init, so the machine stops in the initramfs"
	const noKernel = "the tree has no kernel in /boot: install one (linux-image-amd64)"
	for _, w := range ways {
		t.Run(w.name, func(t *testing.T) {
			for _, build := range []string{"first", "cached"} {
				o := buildOpts{target: "disk"}
				if w.name == "buildctl" {
					o.progress = "rawjson"
				}
				log := w.build(t, manifest, filepath.Join(t.TempDir(), "out"), o)
				switch w.name {
				case "osbuildkit":
					wantContains(t, build+" build", log, "osbuildkit: warning: [disk] stage 0 org.osbuild.image: .pipelines[1].stages[0].options.partitions[0].size (", fitted,
						"osbuildkit: warning: [tree] stage 0 org.osbuild.debootstrap: .pipelines[0].stages[0].options (", noInit, noKernel)
				case "buildctl":
					checkStatusWarnings(t, build, statusWarnings(t, log), fitted, noInit, noKernel)
				case "buildx": // its summary, printed after the build
					wantContains(t, build+" build", log, "3 warnings found", " - [disk] stage 0 org.osbuild.image: .pipelines[1].stages[0].options.partitions[0].size (with-syntax.json:20:52): "+fitted,
						" - [tree] stage 0 org.osbuild.debootstrap: .pipelines[0].stages[0].options (with-syntax.json:", noInit)
				default:
					t.Fatalf("no check for %s", w.name)
				}
			}
		})
	}
}

// checkStatusWarnings wants the fitted partition's warning and the two
// boot checks' in the status stream, each on the manifest's step and
// pointing at its line.
func checkStatusWarnings(t *testing.T, build string, ws []statusWarning, fitted, noInit, noKernel string) {
	t.Helper()
	if len(ws) != 3 {
		t.Fatalf("%s build: %d warnings in the status stream, want 3: %+v", build, len(ws), ws)
	}
	lines := map[string]int{fitted: 20, noInit: 7, noKernel: 7} // the partition's size; the debootstrap stage's options
	for _, w := range ws {
		wantContains(t, build+" build warning's step", w.vertex, "load build definition from manifest.json")
		for text, line := range lines {
			if strings.Contains(w.short, text) && w.line != line {
				t.Errorf("%s build: %q points at line %d, want %d", build, text, w.line, line)
			}
			if strings.Contains(w.short, text) {
				delete(lines, text)
			}
		}
	}
	if len(lines) > 0 {
		t.Errorf("%s build: no warning says %v: %+v", build, lines, ws)
	}
}

// statusWarning is a warning from BuildKit's rawjson status stream.
type statusWarning struct {
	short, vertex string // the message and its step's name
	line          int    // where in the source it points, 0 if nowhere
}

func statusWarnings(t *testing.T, log string) []statusWarning {
	t.Helper()
	names := map[string]string{}
	var raw []rawWarning
	for _, st := range statuses(t, log) {
		for _, v := range st.Vertexes {
			names[v.Digest] = v.Name
		}
		raw = append(raw, st.Warnings...)
	}
	var out []statusWarning
	for _, w := range raw {
		sw := statusWarning{short: string(w.Short), vertex: names[w.Vertex]}
		if len(w.Range) > 0 {
			sw.line = w.Range[0].Start.Line
		}
		out = append(out, sw)
	}
	return out
}
