//go:build integration

package integration

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The CLI copies an export of a few files out of BuildKit itself; the
// files are the bytes, mode, owner and time BuildKit's tar exporter gives
// (OSBUILDKIT_EXPORT=tar; its time is rounded to the second, the copy's
// exact), and a raw disk image's zeros are holes.
func TestCopiedExportIsTarExport(t *testing.T) {
	manifest := manifestFile(t, "integration/testdata/small-disk.json", func(s string) string {
		// 512 MiB: BuildKit's tar exporter sends every zero.
		s = strings.Replace(s, `"size": "2G"`, `"size": "512M"`, 1)
		s = strings.Replace(s, `"size": 4190208`, `"size": 1046528`, 1)
		s = strings.Replace(s, `"filename": "disk.qcow2"`, `"filename": "disk.raw"`, 1)
		return strings.Replace(s, `"format": {"type": "qcow2"}`, `"format": {"type": "raw"}`, 1)
	})
	dirs := map[string]string{}
	for _, export := range []string{"tar", ""} {
		t.Setenv("OSBUILDKIT_EXPORT", export)
		dirs[export] = filepath.Join(t.TempDir(), "out")
		out := run(t, 0, cli, "build", "--progress", "plain", "--export", "disk", "--output-directory", dirs[export], manifest)
		if copied := strings.Contains(out, "copying 1 file"); copied != (export == "") {
			t.Errorf("OSBUILDKIT_EXPORT=%q: copied by the CLI: %v\n%s", export, copied, tail(out, 20))
		}
	}
	var st [2]syscall.Stat_t
	var data [2][]byte
	for i, export := range []string{"tar", ""} {
		p := filepath.Join(dirs[export], "disk", "disk.raw")
		if err := syscall.Stat(p, &st[i]); err != nil {
			t.Fatal(err)
		}
		var err error
		if data[i], err = os.ReadFile(p); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(data[0], data[1]) {
		t.Error("the copied disk image differs from the tar export's")
	}
	tarTime := time.Unix(st[0].Mtim.Unix())
	copiedTime := time.Unix(st[1].Mtim.Unix())
	if st[0].Mode != st[1].Mode || st[0].Uid != st[1].Uid || !copiedTime.Round(time.Second).Equal(tarTime) {
		t.Errorf("mode, owner or time differ: tar %o %d %v, copied %o %d %v", st[0].Mode, st[0].Uid, tarTime, st[1].Mode, st[1].Uid, copiedTime)
	}
	if size := int64(len(data[1])); st[1].Blocks*512 > size/4 {
		t.Errorf("the copied raw image of %d bytes has %d allocated: its zeros should be holes (tar's has %d)", size, st[1].Blocks*512, st[0].Blocks*512)
	}
}

// A late change (the hostname) rebuilds the disk onto the filesystems of
// the tree as it was after debootstrap, which stay cached: the disk step
// writes the change with debugfs, and the image holds the new hostname.
func TestLateChangeReusesBaseFilesystems(t *testing.T) {
	host := fmt.Sprintf("late-%d", time.Now().UnixNano())
	variant := func(hostname string) string {
		return smallDiskWithHostname(t, hostname, func(s string) string {
			s = strings.Replace(s, `"filename": "disk.qcow2"`, `"filename": "disk.raw"`, 1)
			return strings.Replace(s, `"format": {"type": "qcow2"}`, `"format": {"type": "raw"}`, 1)
		})
	}
	out := filepath.Join(t.TempDir(), "out")
	diskPath := filepath.Join(out, "disk", "disk.raw")
	run(t, 0, cli, "build", "--progress", "plain", "--export", "disk", "--output-directory", out, variant(host+"-a"))
	before := inodeOf(t, diskPath)
	log := run(t, 0, cli, "build", "--progress", "plain", "--export", "disk", "--output-directory", out, variant(host+"-b"))
	base := regexp.MustCompile(`(?m)^(#\d+) \[disk\] org\.osbuild\.image \(base filesystems\)$`).FindStringSubmatch(log)
	if base == nil || !strings.Contains(log, "\n"+base[1]+" CACHED\n") {
		t.Errorf("the base filesystems step did not come from the cache:\n%s", tail(log, 40))
	}
	if !regexp.MustCompile(`ext4 / \(UUID [0-9a-f-]+\) from the base image, \d+ changes`).MatchString(log) {
		t.Errorf("the disk step did not write the change onto the base:\n%s", tail(log, 40))
	}
	got := run(t, 0, "debugfs", "-R", "cat /etc/hostname", diskPath+"?offset=1048576")
	if !strings.Contains(got, host+"-b") {
		t.Errorf("/etc/hostname in the image: %q, want %s-b", got, host)
	}
	// The disk came out as a delta of the one before: a few blocks
	// fetched and written over the old file where it was (nobody else had
	// it open), the same bytes as a whole copy into an empty directory.
	delta := regexp.MustCompile(`disk\.raw: ([0-9.]+) (KiB|MiB) of 512\.0 MiB fetched, the rest taken from the previous output \((patched in place|copied)\)`).FindStringSubmatch(log)
	if delta == nil {
		t.Fatalf("the disk was not copied as a delta of the previous output:\n%s", tail(log, 30))
	}
	if n, _ := strconv.ParseFloat(delta[1], 64); delta[2] == "MiB" && n > 16 {
		t.Errorf("a hostname change fetched %s %s of the disk", delta[1], delta[2])
	}
	// So few runs are read from the rebuilt disk itself, not gathered by
	// a step first.
	if strings.Contains(log, "[export] missing blocks of") {
		t.Errorf("a hostname change's few missing runs were gathered by a step:\n%s", tail(log, 30))
	}
	if after := inodeOf(t, diskPath); delta[3] != "patched in place" || after != before {
		t.Errorf("the old disk, which nobody had open, was not patched in place: %s, inode %d then %d", delta[3], before, after)
	}
	whole := filepath.Join(t.TempDir(), "out")
	again := run(t, 0, cli, "build", "--progress", "plain", "--export", "disk", "--output-directory", whole, variant(host+"-b"))
	if strings.Contains(again, "fetched, the rest") {
		t.Errorf("a copy into an empty directory took a delta:\n%s", tail(again, 10))
	}
	wholeDisk := filepath.Join(whole, "disk", "disk.raw")
	run(t, 0, "cmp", diskPath, wholeDisk)
	// A disk in use (as by a VM booted from it) is not written under its
	// user: the rebuild copies it, and the open file keeps its bytes.
	held, err := os.Open(diskPath)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	log = run(t, 0, cli, "build", "--progress", "plain", "--export", "disk", "--output-directory", out, variant(host+"-c"))
	if !strings.Contains(log, "fetched, the rest taken from the previous output (copied)") {
		t.Errorf("a rebuild over a disk held open did not copy it:\n%s", tail(log, 20))
	}
	run(t, 0, "cmp", fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), held.Fd()), wholeDisk)
	if got := run(t, 0, "debugfs", "-R", "cat /etc/hostname", diskPath+"?offset=1048576"); !strings.Contains(got, host+"-c") {
		t.Errorf("/etc/hostname in the rebuilt image: %q, want %s-c", got, host)
	}
}

// A qcow2 disk (uncompressed) comes out of a hostname change as a delta
// planned with the block digests the disk step wrote beside it: no step
// reads the image back to hash it. The delta is the same bytes as a whole
// copy, and qemu-img finds the image consistent.
func TestQCOW2DeltaTakesTheDiskStepsDigests(t *testing.T) {
	host := fmt.Sprintf("sums-%d", time.Now().UnixNano())
	variant := func(hostname string) string {
		return smallDiskWithHostname(t, hostname, func(s string) string { return s })
	}
	out := filepath.Join(t.TempDir(), "out")
	diskPath := filepath.Join(out, "disk", "disk.qcow2")
	run(t, 0, cli, "build", "--progress", "plain", "--export", "disk", "--output-directory", out, variant(host+"-a"))
	log := run(t, 0, cli, "build", "--progress", "plain", "--export", "disk", "--output-directory", out, variant(host+"-b"))
	if !regexp.MustCompile(`disk\.qcow2: [0-9.]+ (KiB|MiB) of [0-9.]+ MiB fetched, the rest taken from the previous output`).MatchString(log) {
		t.Fatalf("the disk was not copied as a delta of the previous output:\n%s", tail(log, 30))
	}
	if strings.Contains(log, "[export] block digests of") {
		t.Errorf("a step hashed the image the disk step had hashed as it wrote it:\n%s", tail(log, 30))
	}
	whole := filepath.Join(t.TempDir(), "out")
	run(t, 0, cli, "build", "--progress", "plain", "--export", "disk", "--output-directory", whole, variant(host+"-b"))
	run(t, 0, "cmp", diskPath, filepath.Join(whole, "disk", "disk.qcow2"))
	run(t, 0, "qemu-img", "check", diskPath)
	raw := filepath.Join(t.TempDir(), "disk.raw")
	run(t, 0, "qemu-img", "convert", "-O", "raw", diskPath, raw)
	if got := run(t, 0, "debugfs", "-R", "cat /etc/hostname", raw+"?offset=1048576"); !strings.Contains(got, host+"-b") {
		t.Errorf("/etc/hostname in the image: %q, want %s-b", got, host)
	}
}

// smallDiskWithHostname is testdata/small-disk.json with a hostname stage
// and a 512 MiB disk, edited further by edit.
func smallDiskWithHostname(t *testing.T, hostname string, edit func(string) string) string {
	return manifestFile(t, "integration/testdata/small-disk.json", func(s string) string {
		s = strings.Replace(s, `"variant": "minbase"}}`, `"variant": "minbase"}},
        {"type": "org.osbuild.hostname", "options": {"hostname": "`+hostname+`"}}`, 1)
		s = strings.Replace(s, `"size": "2G"`, `"size": "512M"`, 1)
		return edit(strings.Replace(s, `"size": 4190208`, `"size": 1046528`, 1))
	})
}

func inodeOf(t *testing.T, p string) uint64 {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(p, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}
