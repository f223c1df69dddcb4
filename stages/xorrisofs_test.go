package stages

import (
	"slices"
	"strings"
	"testing"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// xorrisofs's command lines are osbuild's, argument for argument: the
// cases are osbuild's stages/test/test_xorrisofs.py (at the commit
// docs/stages.md pins), with the tree at /in and the ISO at /out/test.iso.
func TestXorrisofsArgs(t *testing.T) {
	const eltorito = `"boot": {"image": "images/eltorito.img", "catalog": "boot.cat"}, "filename": "test.iso", "volid": "test", "efi": "images/efiboot.img"`
	syslinux := "-verbose -V test -b images/eltorito.img -c boot.cat --boot-catalog-hide -boot-load-size 4 -boot-info-table -no-emul-boot -rock -joliet -eltorito-alt-boot -e images/efiboot.img -no-emul-boot"
	grub2 := "-verbose -rock -joliet -V test --grub2-mbr /usr/lib/grub/i386-pc/boot_hybrid.img -partition_offset 16 -appended_part_as_gpt " +
		"-append_partition 2 C12A7328-F81F-11D2-BA4B-00A0C93EC93B /in/images/efiboot.img -iso_mbr_part_type EBD0A0A2-B9E5-4433-87C0-68B6B72699C7 " +
		"-b images/eltorito.img -c boot.cat --boot-catalog-hide -no-emul-boot -boot-load-size 4 -boot-info-table --grub2-boot-info " +
		"-eltorito-alt-boot -e --interval:appended_partition_2:all:: -no-emul-boot"
	for _, c := range []struct{ name, options, want string }{
		{"syslinux", `{` + eltorito + `}`, syslinux},
		{"syslinux with excludes", `{` + eltorito + `, "exclude": ["efiboot.img"]}`, syslinux + " -exclude efiboot.img"},
		{"syslinux nobootinfo", `{"boot": {"image": "images/eltorito.img", "catalog": "boot.cat", "nobootinfo": true}, "filename": "test.iso", "volid": "test", "efi": "images/efiboot.img"}`,
			strings.Replace(syslinux, " -boot-info-table", "", 1)},
		{"grub2", `{` + eltorito + `, "grub2mbr": "/usr/lib/grub/i386-pc/boot_hybrid.img"}`, grub2},
		{"grub2 with excludes", `{` + eltorito + `, "grub2mbr": "/usr/lib/grub/i386-pc/boot_hybrid.img", "exclude": ["efiboot.img"]}`, grub2 + " -exclude efiboot.img"},
		{"grub2 ppc64le", `{"filename": "test.iso", "volid": "test", "prep": "image-builder", "rational_rock": true, "untranslated_filenames": true, "full_filenames": true, "volset": "Fedora-43-Everything-ppc64le", "chrp_boot": true}`,
			"-verbose -rock -joliet -V test -preparer image-builder -rational-rock -untranslated-filenames -full-iso9660-filenames -volset Fedora-43-Everything-ppc64le -volset-size 1 -volset-seqno 1 -chrp-boot"},
		// osbuild tests for the key: chrp_boot false still makes the
		// ppc64le command, without -chrp-boot.
		{"chrp_boot false", `{"filename": "test.iso", "volid": "test", "isolevel": 3, "chrp_boot": false}`, "-verbose -rock -joliet -iso-level 3 -V test"},
	} {
		o, err := decodeOptions[xorrisofsOptions]([]byte(c.options))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got := xorrisofsArgs(o, "/in", "/out/test.iso", nil)
		want := append(strings.Fields(c.want), "-o", "/out/test.iso", "/in")
		if !slices.Equal(got, want) {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, want)
		}
		// With a source epoch, the files' dates are set to it.
		epoch := int64(1700000000)
		got = xorrisofsArgs(o, "/in", "/out/test.iso", &epoch)
		want = append(strings.Fields(c.want), "--set_all_file_dates", "=1700000000", "-o", "/out/test.iso", "/in")
		if !slices.Equal(got, want) {
			t.Errorf("%s with a source epoch:\n got %q\nwant %q", c.name, got, want)
		}
	}
}

// Planned: the ISO is the stage's output, xorriso and the packages of the
// boot files it names are in the buildroot; UEFI on ppc64le is refused
// before the build, at the option.
func TestXorrisofsPlan(t *testing.T) {
	plan, err := planOnTree(t, "org.osbuild.xorrisofs", (`{"filename": "live.iso", "volid": "DEBIAN", "grub2mbr": "/usr/lib/grub/i386-pc/boot_hybrid.img", "isohybridmbr": "/usr/lib/ISOLINUX/isohdpfx.bin"}`))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(plan.Outputs, []string{"live.iso"}) || !slices.Equal(plan.Exec.Tools, []string{"xorriso", "grub-pc-bin", "isolinux"}) {
		t.Errorf("outputs %q, tools %q", plan.Outputs, plan.Exec.Tools)
	}
	_, err = planOnTree(t, "org.osbuild.xorrisofs", (`{"filename": "live.iso", "volid": "DEBIAN", "efi": "images/efiboot.img", "chrp_boot": true}`))
	if err == nil || !strings.Contains(err.Error(), ".options.efi") || !strings.Contains(err.Error(), "UEFI is not supported with chrp_boot") {
		t.Errorf("efi with chrp_boot: %v", err)
	}
	for _, c := range []struct{ key, options, want string }{
		{"volid", `"volid": "` + strings.Repeat("L", 33) + `"`, "is 33 characters long; ISO 9660 allows 32"},
		{"sysid", `"volid": "DEBIAN", "sysid": "` + strings.Repeat("S", 40) + `"`, "is 40 characters long; ISO 9660 allows 32"},
	} {
		_, err = planOnTree(t, "org.osbuild.xorrisofs", `{"filename": "live.iso", `+c.options+`}`)
		if err == nil || !strings.Contains(err.Error(), ".options."+c.key) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v", c.options, err)
		}
	}
	if _, err = planOnTree(t, "org.osbuild.xorrisofs", `{"filename": "live.iso", "volid": "`+strings.Repeat("L", 32)+`"}`); err != nil {
		t.Errorf("a volid of 32 characters: %v", err)
	}
}

// planOnTree plans a stage of type typ with options whose "tree" input is
// another pipeline's tree, as the ISO stages have it.
func planOnTree(t *testing.T, typ, options string) (*Plan, error) {
	t.Helper()
	return planAfterOS(t, `{"type": "`+typ+`", "inputs": {"tree": {"type": "org.osbuild.tree", "origin": "org.osbuild.pipeline", "references": ["name:os"]}}, "options": `+options+`}`)
}

// planAfterOS plans stage, the one stage of a pipeline after the "os"
// pipeline, whose tree it may take as an input.
func planAfterOS(t *testing.T, stage string) (*Plan, error) {
	t.Helper()
	m, err := manifest.Load("m.json", []byte(`{"version": "2", "pipelines": [{"name": "os", "stages": [{"type": "org.osbuild.mkdir", "options": {"paths": [{"path": "/images"}]}}]},
	  {"name": "iso", "stages": [`+stage+`]}]}`))
	if err != nil {
		return nil, err
	}
	return planStage(t, m, m.Pipelines[1], 0)
}
