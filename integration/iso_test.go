//go:build integration

package integration

import (
	"path/filepath"
	"strings"
	"testing"
)

// The ISO stages build an ISO 9660 image of an EROFS root filesystem:
// osbuild's org.osbuild.erofs, xorrisofs and implantisomd5, their tools
// added to the host buildroot. The ISO holds the filesystem image, which
// holds the tree; its implanted MD5 checks; with source-epoch, running the
// three stages twice on one tree gives the same bytes; buildctl and buildx
// export the same ISO; osbuildkit push makes it an OCI artifact. A GRUB
// menu for another label and a kernel the tree lacks are warned about.
//
// The tree pipeline has a source-epoch too: without it the tree records
// the day debootstrap ran (/etc/shadow's last-change field), and CI at
// fabcffd compared an ISO cached from a tree made on an earlier day with
// one made from a tree debootstrap made again (its snapshot pruned, the
// ISO's kept); buildctl and buildx, whose frontend image is another
// helper binary and so has its own cache, showed the same. Both builds
// run the ISO stages (--no-cache-stage), so both start from the tree this
// run has.
func TestISOOfAnErofsTree(t *testing.T) {
	manifest := manifestFile(t, "integration/testdata/iso.json")
	rerun := []string{"--no-cache-stage", "iso-tree", "--no-cache-stage", "iso"}
	tree, log := buildTree(t, manifest, "iso", rerun...)
	// The GRUB menu in it searches for another label and boots a kernel
	// the tree lacks: osbuild builds that, we warn, at the options.
	wantContains(t, "the warnings", log,
		"osbuildkit: warning: [iso-tree] stage 2 org.osbuild.grub2.iso.legacy: .pipelines[1].stages[2].options.isolabel (", `the menu finds its root by the label "DEBIAN-LIVE"`,
		"osbuildkit: warning: [iso-tree] stage 2 org.osbuild.grub2.iso.legacy: .pipelines[1].stages[2].options.kernel.dir (", "the menu boots /images/pxeboot/vmlinuz, which is not in the tree")
	iso := filepath.Join(tree, "live.iso")
	wantContains(t, "checkisomd5", run(t, 0, "checkisomd5", "--verbose", iso), "The media check is complete, the result is: PASS")
	wantContains(t, "the ISO's volume", run(t, 0, "xorriso", "-indev", iso, "-pvd_info"), "Volume Id    : DEBIAN_LIVE")
	rootfs := filepath.Join(t.TempDir(), "rootfs.img")
	run(t, 0, "xorriso", "-osirrox", "on", "-indev", iso, "-extract", "/LiveOS/rootfs.img", rootfs)
	ls := run(t, 0, "dump.erofs", "--ls", "--path=/usr/bin", rootfs)
	wantContains(t, "the EROFS image's /usr/bin", ls, "bash\n", "dpkg\n")
	// exclude_paths "var/cache/" leaves the directory, without what a
	// minbase tree has in it (debconf's and apt's caches).
	if cache := run(t, 0, "dump.erofs", "--ls", "--path=/var/cache", rootfs); strings.Contains(cache, "debconf\n") || strings.Contains(cache, "apt\n") {
		t.Errorf("exclude_paths kept what /var/cache holds:\n%s", cache)
	}
	again, log := buildTree(t, manifest, "iso", rerun...)
	vs := vertices(t, log)
	for _, step := range []string{"[iso-tree] org.osbuild.erofs", "[iso] org.osbuild.xorrisofs", "[iso] org.osbuild.implantisomd5"} {
		if !vs[step].ran {
			t.Errorf("%s did not run again: %+v", step, vs[step])
		}
	}
	first, second := run(t, 0, "sha256sum", iso), run(t, 0, "sha256sum", filepath.Join(again, "live.iso"))
	if strings.Fields(first)[0] != strings.Fields(second)[0] {
		t.Errorf("the ISO built again differs: %s vs %s", first, second)
	}
	// BuildKit loads the newest of a step's results: the second build's.
	for _, w := range ways[1:] {
		out := filepath.Join(t.TempDir(), "out")
		w.build(t, manifest, out, buildOpts{target: "iso"})
		if got := sha256File(t, filepath.Join(out, "live.iso")); got != sha256File(t, iso) {
			t.Errorf("%s exported another ISO: %s, osbuildkit's %s", w.name, got, sha256File(t, iso))
		}
	}
	image := registry + "/debian-live-iso:1"
	run(t, 0, cli, "push", iso, image)
	checkDiskArtifact(t, image, iso, "iso")
}
