//go:build integration

package integration

import (
	"bytes"
	"debug/elf"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// buildx --platform linux/amd64,linux/arm64: the manifest (whose bootstrap
// names no arch) is built once per platform; a local export lands in
// linux_amd64/ and linux_arm64/ with that platform's binaries, and a
// pushed image is one index of both, each with its own SBOM.
func TestMultiPlatformBuild(t *testing.T) {
	manifest := withSyntaxKey(t, manifestFile(t, "integration/testdata/arm64-tar.json", func(s string) string {
		return strings.Replace(s, `, "arch": "arm64"`, "", 1)
	}))
	dir := filepath.Dir(manifest)
	out := t.TempDir()
	run(t, 0, "docker", "buildx", "build", "--progress", "plain", "-f", manifest, "--target", "tar",
		"--platform", "linux/amd64,linux/arm64", "--cache-to", "type=registry,mode=max,ref="+multiPlatformCache,
		"--output", "type=local,dest="+out, dir)
	checkBashPerPlatform(t, filepath.Join(out, "linux_%s", "arm64.tar"))

	image := registry + "/debian-multi:1"
	run(t, 0, "docker", "buildx", "build", "--progress", "plain", "-f", manifest, "--target", "tree", "--sbom=true",
		"--platform", "linux/amd64,linux/arm64", "--output", "type=image,name="+image+",push=true", dir)
	raw := run(t, 0, "docker", "buildx", "imagetools", "inspect", image, "--format", "{{json .SBOM}}")
	var sboms map[string]struct {
		SPDX spdxDoc `json:"SPDX"`
	}
	if err := json.Unmarshal([]byte(raw), &sboms); err != nil {
		t.Fatalf("imagetools inspect: %v\n%s", err, tail(raw, 5))
	}
	// One platform with BuildKit's multi-platform option is an index of
	// one image, as the Dockerfile frontend makes it; without, an image.
	for _, multi := range []string{"1", "0"} {
		one := registry + "/debian-one-platform:" + multi
		run(t, 0, "docker", "buildx", "build", "--progress", "plain", "-f", manifest, "--target", "tree", "--provenance=false",
			"--platform", "linux/arm64", "--build-arg", "BUILDKIT_MULTI_PLATFORM="+multi, "--output", "type=image,name="+one+",push=true", dir)
		var top struct {
			MediaType string `json:"mediaType"`
			Manifests []struct {
				Platform struct{ Architecture string } `json:"platform"`
			} `json:"manifests"`
		}
		raw := run(t, 0, "docker", "buildx", "imagetools", "inspect", "--raw", one)
		if err := json.Unmarshal([]byte(raw), &top); err != nil {
			t.Fatalf("%s: %v", one, err)
		}
		isIndex := strings.Contains(top.MediaType, "index")
		if multi == "1" && (!isIndex || len(top.Manifests) != 1 || top.Manifests[0].Platform.Architecture != "arm64") {
			t.Errorf("BUILDKIT_MULTI_PLATFORM=1 pushed %s", raw)
		}
		if multi == "0" && isIndex {
			t.Errorf("BUILDKIT_MULTI_PLATFORM=0 pushed an index: %s", raw)
		}
	}

	for _, arch := range []string{"amd64", "arm64"} {
		s, ok := sboms["linux/"+arch]
		if !ok {
			t.Errorf("the index has no linux/%s image with an SBOM: %v", arch, raw[:min(len(raw), 200)])
			continue
		}
		for _, deb := range s.SPDX.debs() {
			if !strings.HasSuffix(deb, " "+arch) && !strings.HasSuffix(deb, " all") {
				t.Errorf("linux/%s's SBOM lists %s", arch, deb)
				break
			}
		}
	}
}

// multiPlatformCache is the registry cache TestMultiPlatformBuild exports
// and TestTwoNodeBuilder's second node imports.
var multiPlatformCache = registry + "/cache/multi-platform:1"

// A builder of two nodes, as BuildKit spreads work: a second buildkitd
// (another machine, in effect: its own, empty state) is appended for
// linux/arm64 only, so a two-platform build sends the arm64 half to it,
// and buildx puts both halves in one output. The second node finds its
// half's steps in the registry cache the one-node build above exported:
// the nodes share one cache, and nothing is built twice. (Each node
// exports its own platform's result; buildx's platform-split=true puts
// each in its platform's directory, where without it both would land in
// one.)
func TestTwoNodeBuilder(t *testing.T) {
	hosts, err := os.ReadFile("/etc/hosts")
	if err != nil {
		t.Fatal(err)
	}
	second := isolatedBuildkitd(t, string(hosts))
	name := "osbuildkit-two-nodes"
	exec.Command("docker", "buildx", "rm", name).Run() // a killed run's
	run(t, 0, "docker", "buildx", "create", "--name", name, "--driver", "remote", "--node", "amd64", "--platform", "linux/amd64", os.Getenv("BUILDKIT_HOST"))
	t.Cleanup(func() { exec.Command("docker", "buildx", "rm", name).Run() })
	run(t, 0, "docker", "buildx", "create", "--name", name, "--append", "--driver", "remote", "--node", "arm64", "--platform", "linux/arm64", second)
	nodes := run(t, 0, "docker", "buildx", "inspect", name)
	for _, node := range []string{"amd64", "arm64"} {
		if !regexp.MustCompile(`(?m)^Name:\s+` + node + `$`).MatchString(nodes) {
			t.Fatalf("the builder has no node %s:\n%s", node, nodes)
		}
	}

	manifest := withSyntaxKey(t, manifestFile(t, "integration/testdata/arm64-tar.json", func(s string) string {
		return strings.Replace(s, `, "arch": "arm64"`, "", 1)
	}))
	out := t.TempDir()
	log := run(t, 0, "docker", "buildx", "build", "--builder", name, "--progress", "plain", "-f", manifest, "--target", "tar",
		"--platform", "linux/amd64,linux/arm64", "--cache-from", "type=registry,ref="+multiPlatformCache,
		"--output", "type=local,dest="+out+",platform-split=true", filepath.Dir(manifest))
	checkBashPerPlatform(t, filepath.Join(out, "linux_%s", "arm64.tar"))
	// The arm64 half ran on the second node, from the shared cache: its
	// bootstrap was not run again.
	if du := run(t, 0, "buildctl", "--addr", second, "du"); !strings.Contains(du, "Total:") || strings.Contains(du, "Total:\t\t0B") {
		t.Errorf("the second node holds nothing: it did not build the arm64 half\n%s", du)
	}
	if strings.Contains(log, "Setting up ") {
		t.Errorf("a node ran a bootstrap the shared cache holds:\n%s", tail(log, 30))
	}
}

// osbuildkit build --platform does what buildx does: each platform's
// exports under DIR/linux_ARCH/PIPELINE, with that platform's binaries; a
// platform Debian has no architecture for, or a push of several, is a
// usage error before any work.
func TestPlatformFlag(t *testing.T) {
	manifest := manifestFile(t, "integration/testdata/arm64-tar.json", func(s string) string {
		return strings.Replace(s, `, "arch": "arm64"`, "", 1)
	})
	out := t.TempDir()
	stdout := run(t, 0, cli, "build", "--progress", "plain", "--platform", "linux/amd64,linux/arm64", "--export", "tar", "--output-directory", out, manifest)
	for _, arch := range []string{"amd64", "arm64"} {
		wantContains(t, "the build's report", stdout, "tar (linux/"+arch+"): "+filepath.Join(out, "linux_"+arch, "tar"))
	}
	checkBashPerPlatform(t, filepath.Join(out, "linux_%s", "tar", "arm64.tar"))
	if _, err := os.Stat(filepath.Join(out, "tar")); err == nil {
		t.Errorf("a multi-platform build also wrote %s/tar", out)
	}

	bad := run(t, 2, cli, "build", "--platform", "linux/sparc64", "--output-directory", out, manifest)
	wantContains(t, "an unknown platform", bad, `--platform "linux/sparc64"`, "linux/arm64")
	bad = run(t, 2, cli, "build", "--platform", "linux/amd64,linux/arm64", "--export", "tar", "--push", registry+"/multi:1", manifest)
	wantContains(t, "a push of two platforms", bad, "--push takes one platform")
}

// checkBashPerPlatform reads /usr/bin/bash from the tar at tarPattern
// (its %s the architecture) for amd64 and arm64: each is that
// architecture's ELF.
func checkBashPerPlatform(t *testing.T, tarPattern string) {
	t.Helper()
	for arch, machine := range map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64} {
		files := tarFiles(t, fmt.Sprintf(tarPattern, arch), "./usr/bin/bash")
		f, err := elf.NewFile(bytes.NewReader(files["./usr/bin/bash"]))
		if err != nil || f.Machine != machine {
			t.Errorf("linux_%s: bash for %v (%v), want %v", arch, f.Machine, err, machine)
		}
	}
}
