package stages

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// osbuild's efiboot.img pattern, a FAT filesystem made on a loopback
// device over a tree file and filled through a fat mount, runs without
// privileges: planned without security.insecure, mkfs.fat on the file,
// mcopy into it; a copy out of the image still attaches it. (The tools: dosfstools and mtools, as make env installs.)
func TestFATImageWithoutPrivileges(t *testing.T) {
	loop := `{"type": "org.osbuild.loopback", "options": {"filename": "images/efiboot.img"}}`
	for _, stage := range []string{
		`{"type": "org.osbuild.mkfs.fat", "devices": {"device": ` + loop + `}, "options": {"volid": "7B7795E7", "label": "EFIBOOT"}}`,
		`{"type": "org.osbuild.copy", "inputs": {"tree": {"type": "org.osbuild.tree", "origin": "org.osbuild.pipeline", "references": ["name:os"]}},
		  "options": {"paths": [{"from": "input://tree/", "to": "mount://efi/"}]}, "devices": {"efi": ` + loop + `},
		  "mounts": [{"name": "efi", "type": "org.osbuild.fat", "source": "efi", "target": "/"}]}`,
	} {
		var typ struct{ Type string }
		json.Unmarshal([]byte(stage), &typ)
		plan, err := planAfterOS(t, stage)
		if err != nil || plan.Exec == nil || plan.Exec.Insecure {
			t.Errorf("%s planned %+v, %v; want no security.insecure", typ.Type, plan, err)
		}
	}
	// mcopy only writes into an image: a copy out of one attaches it.
	plan, err := planAfterOS(t, `{"type": "org.osbuild.copy", "options": {"paths": [{"from": "mount://efi/EFI", "to": "tree:///"}]}, "devices": {"efi": `+loop+`},
	  "mounts": [{"name": "efi", "type": "org.osbuild.fat", "source": "efi", "target": "/"}]}`)
	if err != nil || plan.Exec == nil || !plan.Exec.Insecure {
		t.Errorf("a copy out of a FAT image planned %+v, %v; want security.insecure", plan, err)
	}
	devices := map[string]Device{"device": {Type: "org.osbuild.loopback", Options: json.RawMessage(`{"filename": "images/efiboot.img"}`)}}
	rt, log := runtimeFor(t, "org.osbuild.mkfs.fat", map[string]any{"volid": "7B7795E7", "label": "EFIBOOT"})
	image := filepath.Join(rt.Tree, "images/efiboot.img")
	os.MkdirAll(filepath.Dir(image), 0o755)
	if err := os.WriteFile(image, make([]byte, 4<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	rt.Devices = devices
	if err := run(t, rt); err != nil {
		t.Fatalf("mkfs.fat: %v\n%s", err, log)
	}
	in := t.TempDir()
	os.MkdirAll(filepath.Join(in, "EFI/BOOT"), 0o755)
	os.WriteFile(filepath.Join(in, "EFI/BOOT/grub.cfg"), []byte("search\n"), 0o644)
	cp, log := runtimeFor(t, "org.osbuild.copy", map[string]any{"paths": []any{map[string]any{"from": "input://tree/", "to": "mount://efi/"}}})
	cp.Tree, cp.Devices = rt.Tree, map[string]Device{"efi": devices["device"]}
	cp.Mounts = []Mount{{Name: "efi", Type: "org.osbuild.fat", Source: "efi", Target: "/", Options: json.RawMessage(`{}`)}}
	cp.Inputs = map[string]Input{"tree": {Type: "org.osbuild.tree", Path: in}}
	if err := run(t, cp); err != nil {
		t.Fatalf("copy: %v\n%s", err, log)
	}
	out, err := exec.Command("mtype", "-i", image, "::/EFI/BOOT/grub.cfg").CombinedOutput()
	if err != nil || string(out) != "search\n" {
		t.Errorf("grub.cfg in the image: %q %v", out, err)
	}
	info, _ := exec.Command("minfo", "-i", image).CombinedOutput()
	if !strings.Contains(string(info), "7B7795E7") && !strings.Contains(string(info), "7b7795e7") {
		t.Errorf("volume ID:\n%s", info)
	}
}
