package disk

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// needTools fails, naming the package, when a tool the disk engine runs is
// missing: `make env` installs them (hack/host-packages.sh).
func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing: run `make env` (hack/host-packages.sh installs the disk tools)", tool)
		}
	}
}

// A GPT disk with an ESP below the root filesystem, assembled from a tree
// without loop devices: the table has the manifest's types and derived
// UUIDs, the ESP holds /boot/efi's files and the root filesystem does not,
// the root filesystem checks clean, and GRUB's BIOS boot code is in place.
func TestAssembleGPTDisk(t *testing.T) {
	needTools(t, "sfdisk", "mkfs.ext4", "debugfs", "mkfs.fat", "mcopy", "mdir", "grub-mkimage")
	if _, err := GRUBModules(t.TempDir(), "i386-pc"); err != nil {
		t.Fatalf("%v: run `make env` (grub-pc-bin)", err)
	}
	tree := t.TempDir()
	for p, data := range map[string]string{"boot/efi/EFI/BOOT/BOOTX64.EFI": "efi", "boot/vmlinuz-6.1.0-9-amd64": "kernel", "etc/hostname": "disk\n"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(tree, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tree, p), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// An SELinux label (org.osbuild.selinux's) goes into the filesystem;
	// setting security.* attributes needs root.
	label := os.Geteuid() == 0
	if label {
		if err := unix.Lsetxattr(filepath.Join(tree, "etc/hostname"), "security.selinux", []byte("system_u:object_r:etc_t:s0"), 0); err != nil {
			t.Fatal(err)
		}
	}
	d := gptTestDisk(t)
	raw := filepath.Join(t.TempDir(), "disk.raw")
	r := &testRunner{}
	if err := d.Assemble(r, tree, raw, nil); err != nil {
		t.Fatalf("%v\n%s", err, &r.log)
	}
	checkTable(t, raw, d)
	checkFilesystems(t, raw)
	checkBootCode(t, raw)
	if label {
		ea, _ := exec.Command("debugfs", "-R", "ea_list /etc/hostname", raw+"?offset=23068672").CombinedOutput()
		if !strings.Contains(string(ea), `security.selinux (26) = "system_u:object_r:etc_t:s0"`) {
			t.Errorf("the label did not reach the filesystem:\n%s", ea)
		}
	}
}

func checkTable(t *testing.T, raw string, d *Disk) {
	t.Helper()
	out, err := exec.Command("sfdisk", "--json", raw).Output()
	if err != nil {
		t.Fatal(err)
	}
	var table struct {
		PartitionTable struct {
			Label      string
			Partitions []struct{ Type, UUID string }
		}
	}
	if err := json.Unmarshal(out, &table); err != nil {
		t.Fatal(err)
	}
	pt := table.PartitionTable
	if pt.Label != "gpt" || len(pt.Partitions) != 3 || pt.Partitions[1].Type != GPTESP || pt.Partitions[2].Type != GPTLinux ||
		!strings.EqualFold(pt.Partitions[2].UUID, DerivedUUID(d.PTUUID, "partition", "3")) {
		t.Errorf("partition table %s", out)
	}
}

// checkFilesystems looks into the root filesystem and the ESP.
func checkFilesystems(t *testing.T, raw string) {
	t.Helper()
	root := raw + "?offset=" + "23068672" // 45056 sectors
	if ls, _ := exec.Command("debugfs", "-R", "ls -l /boot", root).CombinedOutput(); !strings.Contains(string(ls), "vmlinuz-6.1.0-9-amd64") {
		t.Errorf("the root filesystem's /boot:\n%s", ls)
	}
	if ls, _ := exec.Command("debugfs", "-R", "ls /boot/efi", root).CombinedOutput(); strings.Contains(string(ls), "EFI") {
		t.Errorf("the ESP's files are in the root filesystem too:\n%s", ls)
	}
	if uuid, _ := exec.Command("debugfs", "-R", "stats", root).CombinedOutput(); !strings.Contains(string(uuid), "6e4ff95f-f662-45ee-a82a-bdf44a2d0b75") {
		t.Error("the root filesystem does not have root_fs_uuid")
	}
	esp := exec.Command("mdir", "-i", raw+"@@2097152", "::/EFI/BOOT")
	esp.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
	if ls, err := esp.CombinedOutput(); err != nil || !strings.Contains(string(ls), "BOOTX64  EFI") {
		t.Errorf("the ESP's EFI/BOOT (%v):\n%s", err, ls)
	}
}

func checkBootCode(t *testing.T, raw string) {
	t.Helper()
	mbr := make([]byte, 440)
	f, err := os.Open(raw)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.ReadAt(mbr, 0); err != nil || strings.Count(string(mbr), "\x00") == len(mbr) {
		t.Error("no boot code in the MBR")
	}
}
