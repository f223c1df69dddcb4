//go:build integration

package integration

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// concurrentJob is one build of the concurrency test and how to digest its
// output.
type concurrentJob struct {
	name, manifest string
	args           []string
	digest         func(t *testing.T, out string) string
}

// treeDigest digests a directory tree: names, types, modes, owners,
// contents and link targets (not times).
func treeDigest(t *testing.T, root string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		rel, _ := filepath.Rel(root, p)
		fmt.Fprintf(h, "%s %v %d:%d", rel, fi.Mode(), st.Uid, st.Gid)
		switch {
		case fi.Mode().IsRegular():
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			if _, err := io.Copy(h, f); err != nil {
				return err
			}
		case fi.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			fmt.Fprintf(h, " -> %s", target)
		}
		fmt.Fprintln(h)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("sha256:%x", h.Sum(nil))
}

// mountedDigest digests the ext4 filesystem at offset in a raw image by
// mounting it read-only on the host. Inode times are not compared: the
// privileged path copies files in through a mount, and reading a fresh tree
// the first time updates its access times, which mkfs.ext4 -d copies.
func mountedDigest(t *testing.T, image string, offset int64) string {
	t.Helper()
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-o", fmt.Sprintf("loop,ro,noload,offset=%d", offset), image, mnt).CombinedOutput(); err != nil {
		t.Fatalf("mounting %s: %v: %s", image, err, out)
	}
	defer exec.Command("umount", mnt).Run()
	return treeDigest(t, mnt)
}

// Four builds of different manifests at once on one buildkitd (two of them
// privileged, with loop devices), plus a second build of two of them: all
// succeed and give what the same build gives alone.
func TestConcurrentBuildsMatchSoloBuilds(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting the privileged images to compare them needs root")
	}
	jobs := concurrentJobs(t)
	args := func(j concurrentJob, out string) []string {
		return append(append([]string{"build", "--progress", "plain", "--output-directory", out}, j.args...), j.manifest)
	}
	solo := map[string]string{}
	for _, j := range jobs {
		out := t.TempDir()
		run(t, 0, cli, args(j, out)...)
		solo[j.name] = j.digest(t, out)
		os.RemoveAll(out) // disk images are large
	}
	// The same manifests again, all at once, two of them twice.
	all := append(jobs, jobs[1], jobs[2])
	outs := make([]string, len(all))
	logs := make([]string, len(all))
	codes := make([]int, len(all))
	var wg sync.WaitGroup
	for i, j := range all {
		outs[i] = t.TempDir()
		wg.Add(1)
		go func() {
			defer wg.Done()
			logs[i], codes[i] = runCtx(context.Background(), cli, args(j, outs[i])...)
		}()
	}
	wg.Wait()
	for i, j := range all {
		if codes[i] != 0 {
			t.Errorf("%s (build %d of %d at once) failed with status %d:\n%s", j.name, i+1, len(all), codes[i], tail(logs[i], 30))
			continue
		}
		if got := j.digest(t, outs[i]); got != solo[j.name] {
			t.Errorf("%s (build %d of %d at once): %s, alone %s", j.name, i+1, len(all), got, solo[j.name])
		}
		os.RemoveAll(outs[i])
	}
	hostClean(t)
}

// concurrentJobs are four different manifests: a file tree, an
// unprivileged disk and two privileged (loop device) disks.
func concurrentJobs(t *testing.T) []concurrentJob {
	privileged := func(uuid string) string {
		return manifestFile(t, "integration/testdata/privileged-disk.json", func(s string) string {
			s = strings.Replace(s, `"size": "2G"`, `"size": "512M"`, 1)
			return strings.Replace(s, "1f0e9d8c-7b6a-4594-8372-615049382716", uuid, 1)
		})
	}
	qcow2Digest := func(t *testing.T, out string) string {
		raw := filepath.Join(t.TempDir(), "disk.raw")
		if b, err := exec.Command("qemu-img", "convert", "-O", "raw", filepath.Join(out, "disk/disk.qcow2"), raw).CombinedOutput(); err != nil {
			t.Fatalf("qemu-img convert: %v: %s", err, b)
		}
		defer os.Remove(raw)
		return mountedDigest(t, raw, 2048*512)
	}
	rawDigest := func(t *testing.T, out string) string { return mountedDigest(t, filepath.Join(out, "disk/disk.raw"), 0) }
	privA, privB := privileged("7a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d"), privileged("8b1c2d3e-4f5a-4b6c-9d7e-8f9a0b1c2d3e")
	return []concurrentJob{
		{"doc-3", manifestFile(t, "manifest/testdata/osbuild-docs/doc-3.json"), []string{"--no-cache"},
			func(t *testing.T, out string) string { return treeDigest(t, filepath.Join(out, "res")) }},
		{"unprivileged-disk", manifestFile(t, "integration/testdata/concurrent-disk.json"), []string{"--export", "disk", "--no-cache-stage", "disk"},
			qcow2Digest},
		{"privileged-disk-a", privA, []string{"--export", "disk", "--no-cache-stage", "disk", "--allow", "security.insecure"}, rawDigest},
		{"privileged-disk-b", privB, []string{"--export", "disk", "--no-cache-stage", "disk", "--allow", "security.insecure"}, rawDigest},
	}
}
