//go:build integration

package integration

import (
	"bytes"
	"debug/elf"
	"encoding/json"
	"path/filepath"
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
		"--platform", "linux/amd64,linux/arm64", "--output", "type=local,dest="+out, dir)
	for arch, machine := range map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64} {
		files := tarFiles(t, filepath.Join(out, "linux_"+arch, "arm64.tar"), "./usr/bin/bash")
		f, err := elf.NewFile(bytes.NewReader(files["./usr/bin/bash"]))
		if err != nil || f.Machine != machine {
			t.Errorf("linux_%s: bash for %v (%v), want %v", arch, f.Machine, err, machine)
		}
	}

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
