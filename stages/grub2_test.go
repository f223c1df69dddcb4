package stages

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGrubConfig(t *testing.T) {
	timeout := 5
	cfg := grubConfig(&grub2Options{RootFSUUID: "u-u-i-d", KernelOpts: "console=ttyS0", Config: grub2Config{Timeout: &timeout, Terminal: []string{"serial", "console"}, Serial: "serial --unit=0"}},
		[]string{"6.1.0-10-amd64", "6.1.0-9-amd64"})
	for _, want := range []string{"set timeout=5\n", "serial --unit=0\nterminal_input serial console\nterminal_output serial console\n",
		"search --no-floppy --fs-uuid --set=root u-u-i-d\n", "linux /boot/vmlinuz-6.1.0-10-amd64 root=UUID=u-u-i-d ro console=ttyS0\n", "initrd /boot/initrd.img-6.1.0-9-amd64\n"} {
		if !strings.Contains(cfg, want) {
			t.Errorf("grub.cfg lacks %q:\n%s", want, cfg)
		}
	}
	if strings.Index(cfg, "6.1.0-10") > strings.Index(cfg, "6.1.0-9-amd64'") {
		t.Error("the newest kernel is not the first entry")
	}
}

func TestInstalledKernelsNeedsAKernel(t *testing.T) {
	rt, _ := runtimeFor(t, "org.osbuild.grub2", map[string]any{})
	if _, err := installedKernels(rt); err == nil || !strings.Contains(err.Error(), "install one (linux-image-amd64) before org.osbuild.grub2") {
		t.Errorf("got %v", err)
	}
	os.MkdirAll(filepath.Join(rt.Tree, "boot"), 0o755)
	os.WriteFile(filepath.Join(rt.Tree, "boot/vmlinuz-6.1.0-9-amd64"), nil, 0o644)
	if k, err := installedKernels(rt); err != nil || len(k) != 1 {
		t.Errorf("got %v, %v", k, err)
	}
}

// Without kernel_opts of its own, grub2 boots with the options the last
// kernel-cmdline stage before it recorded (root= left to grub2): the plan
// hands them over in the helper's options.
func TestGrub2TakesKernelCmdlineFromThePlan(t *testing.T) {
	m, err := loadStages(t, `{"type": "org.osbuild.kernel-cmdline", "options": {"root_fs_uuid": "6e4ff95f-f662-45ee-a82a-bdf44a2d0b75", "kernel_opts": "quiet"}},
		{"type": "org.osbuild.kernel-cmdline", "options": {"root_fs_uuid": "6e4ff95f-f662-45ee-a82a-bdf44a2d0b75", "kernel_opts": "console=ttyS0 root=/dev/vda2 ro"}},
		{"type": "org.osbuild.grub2", "options": {"root_fs_uuid": "6e4ff95f-f662-45ee-a82a-bdf44a2d0b75", "legacy": true}},
		{"type": "org.osbuild.grub2", "options": {"root_fs_uuid": "6e4ff95f-f662-45ee-a82a-bdf44a2d0b75", "legacy": true, "kernel_opts": "mine"}}`)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := planStage(t, m, m.Pipelines[0], 2)
	if err != nil {
		t.Fatal(err)
	}
	if got := plan.Exec.Options["kernel_opts"]; got != "console=ttyS0 ro" {
		t.Errorf("handed kernel_opts %q, want the last kernel-cmdline's without root=", got)
	}
	if plan.Exec.Options["legacy"] != true || m.Pipelines[0].Stages[2].Options["kernel_opts"] != nil {
		t.Errorf("the helper's options %v should be the stage's plus kernel_opts, the stage's own untouched", plan.Exec.Options)
	}
	if plan, err := planStage(t, m, m.Pipelines[0], 3); err != nil || plan.Exec.Options != nil {
		t.Errorf("a grub2 stage with kernel_opts got options %v (%v)", plan.Exec.Options, err)
	}
}

// rootfs and bootfs name filesystems by label too; the environment block
// is osbuild's, 1024 bytes; the defaults carry config's switches.
func TestGrubByLabelEnvAndDefaults(t *testing.T) {
	no, yes := false, true
	o := &grub2Options{RootFS: &grubFS{Label: "root"}, BootFS: &grubFS{UUID: "b-o-o-t"}, KernelOpts: "quiet", SavedEntry: "x",
		Ignition: true, Greenboot: true, Config: grub2Config{DisableRecovery: &yes, DisableSubmenu: &no}}
	cfg := grubConfig(o, []string{"6.1.0-9-amd64"})
	for _, want := range []string{"search --no-floppy --fs-uuid --set=root b-o-o-t\n", "linux /vmlinuz-6.1.0-9-amd64 root=LABEL=root ro quiet ${ignition_firstboot}\n",
		"ignition.firstboot", "decrement boot_counter", "set timeout=0\n"} {
		if !strings.Contains(cfg, want) {
			t.Errorf("grub.cfg lacks %q:\n%s", want, cfg)
		}
	}
	env := grubEnv(o)
	if len(env) != 1024 || !strings.HasPrefix(env, "# GRUB Environment Block\nkernelopts=root=LABEL=root quiet\nsaved_entry=x\n#") {
		t.Errorf("grubenv (%d bytes) %q", len(env), env[:80])
	}
	o.WriteCmdline = &no
	if strings.Contains(grubEnv(o), "kernelopts") {
		t.Error("write_cmdline false still writes kernelopts")
	}
	if d := grubDefaults(o); !strings.Contains(d, "GRUB_DISABLE_RECOVERY=true\n") || !strings.Contains(d, "GRUB_DISABLE_SUBMENU=false\n") {
		t.Errorf("defaults:\n%s", d)
	}
}
