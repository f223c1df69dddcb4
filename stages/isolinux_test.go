package stages

import (
	"errors"
	"os"
	"path"
	"strings"
	"testing"
)

// The configurations osbuild's stages/test/test_isolinux.py expects (at
// the commit docs/stages.md pins), for the options of its
// fedora-ostree-bootiso-xz.json, with and without fips.
const (
	isolinuxPart1 = `
default vesamenu.c32
timeout 600

display boot.msg

# Clear the screen when exiting the menu, instead of leaving the menu displayed.
# For vesamenu, this means the graphical background is still displayed without
# the menu itself for as long as the screen remains in graphics mode.
menu clear
menu background splash.png
menu title Fedora 42
menu vshift 8
menu rows 18
menu margin 8
#menu hidden
menu helpmsgrow 15
menu tabmsgrow 13

# Border Area
menu color border * #00000000 #00000000 none

# Selected item
menu color sel 0 #ffffffff #00000000 none

# Title bar
menu color title 0 #ff7ba3d0 #00000000 none

# Press [Tab] message
menu color tabmsg 0 #ff3a6496 #00000000 none

# Unselected menu item
menu color unsel 0 #84b8ffff #00000000 none

# Selected hotkey
menu color hotsel 0 #84b8ffff #00000000 none

# Unselected hotkey
menu color hotkey 0 #ffffffff #00000000 none

# Help text
menu color help 0 #ffffffff #00000000 none

# A scrollbar of some type? Not sure.
menu color scrollbar 0 #ffffffff #ff355594 none

# Timeout msg
menu color timeout 0 #ffffffff #00000000 none
menu color timeout_msg 0 #ffffffff #00000000 none

# Command prompt text
menu color cmdmark 0 #84b8ffff #00000000 none
menu color cmdline 0 #ffffffff #00000000 none

# Do not display the actual menu unless the user presses a key. All that is displayed is a timeout message.

menu tabmsg Press Tab for full configuration options on menu items.

menu separator # insert an empty line
menu separator # insert an empty line

label linux
  menu label ^Install Fedora 42
  kernel vmlinuz
  append initrd=initrd.img inst.stage2=hd:LABEL=Fedora-42-Everything-x86_64 quiet

label check
  menu label Test this ^media & install Fedora 42
  menu default
  kernel vmlinuz
  append initrd=initrd.img inst.stage2=hd:LABEL=Fedora-42-Everything-x86_64 rd.live.check quiet

`
	isolinuxPart2 = `
menu separator # insert an empty line

# utilities submenu
menu begin ^Troubleshooting
  menu title Troubleshooting Fedora 42

label basic
  menu indent count 5
  menu label Install using ^basic graphics mode
  text help
	Try this option out if you're having trouble installing
	Fedora 42.
  endtext
  kernel vmlinuz
  append initrd=initrd.img inst.stage2=hd:LABEL=Fedora-42-Everything-x86_64 nomodeset quiet
label rescue
  menu indent count 5
  menu label ^Rescue a Fedora system
  text help
	If the system will not boot, this lets you access files
	and edit config files to try to get it booting again.
  endtext
  kernel vmlinuz
  append initrd=initrd.img inst.stage2=hd:LABEL=Fedora-42-Everything-x86_64 inst.rescue quiet
label memtest
  menu label Run a ^memory test
  text help
	If your system is having issues, a problem with your
	system's memory may be the cause. Use this utility to
	see if the memory is working correctly.
  endtext
  kernel memtest

menu separator # insert an empty line

label local
  menu label Boot from ^local drive
  localboot 0xffff

menu separator # insert an empty line
menu separator # insert an empty line

label returntomain
  menu label Return to ^main menu
  menu exit

`
	isolinuxFIPS = `
label fips
  menu label ^Install Fedora 42 in FIPS mode
  kernel vmlinuz
  append initrd=initrd.img inst.stage2=hd:LABEL=Fedora-42-Everything-x86_64 quiet fips=1

`
)

func TestIsolinuxMenu(t *testing.T) {
	base := `"product": {"name": "Fedora", "version": "42"},
		"kernel": {"dir": "/images/pxeboot", "opts": ["inst.stage2=hd:LABEL=Fedora-42-Everything-x86_64"]}`
	for _, c := range []struct{ options, want string }{
		{"", isolinuxPart1 + isolinuxPart2},
		{`, "fips": true`, isolinuxPart1 + isolinuxFIPS + isolinuxPart2},
	} {
		o, err := decodeOptions[isolinuxOptions]([]byte("{" + base + c.options + "}"))
		if err != nil {
			t.Fatalf("%s: %v", c.options, err)
		}
		if got := isolinuxMenu(o); got != c.want {
			t.Errorf("%s:\n%s", c.options, lineDiff(got, c.want))
		}
	}
}

// Planned in the buildroot with Debian's isolinux and syslinux-common; a
// kernel.dir outside the tree is refused at the option.
func TestIsolinuxPlan(t *testing.T) {
	st := `{"type": "org.osbuild.isolinux", "inputs": {"data": {"type": "org.osbuild.tree", "origin": "org.osbuild.pipeline", "references": ["name:os"]}}, "options": {"product": {"name": "Debian", "version": "12"}, "kernel": {"dir": %s}}}`
	plan := func(dir string) (*Plan, error) { return planAfterOS(t, strings.Replace(st, "%s", dir, 1)) }
	p, err := plan(`"/live"`)
	if err != nil || strings.Join(p.Exec.Tools, " ") != "isolinux syslinux-common" {
		t.Fatalf("plan %+v, %v", p, err)
	}
	_, err = plan(`"../../etc"`)
	if err == nil || !strings.Contains(err.Error(), ".options.kernel.dir") {
		t.Errorf("kernel.dir outside the tree: %v", err)
	}
}

// The helper side on a Debian data tree: the files come from Debian's
// paths with mode 0755, there is no splash, the kernel and initramfs are
// hard links to the files kernel.dir's symbolic links name; a kernel.dir
// without them is bad input (ExitBadOption) naming the option.
func TestIsolinuxRun(t *testing.T) {
	options := map[string]any{"product": map[string]string{"name": "Debian", "version": "12"}, "kernel": map[string]any{"dir": "/", "opts": []string{"boot=live"}}}
	rt, log := runtimeFor(t, "org.osbuild.isolinux", options)
	data := t.TempDir()
	for _, f := range isolinuxFiles {
		writeTestFile(t, data+f.debian, f.name, 0o644)
	}
	rt.Inputs = map[string]Input{"data": {Path: data}}
	writeTestFile(t, rt.Tree+"/boot/vmlinuz-6.1.0-amd64", "kernel", 0o644)
	writeTestFile(t, rt.Tree+"/boot/initrd.img-6.1.0-amd64", "initrd", 0o644)
	for _, l := range []string{"vmlinuz", "initrd.img"} {
		if err := os.Symlink("boot/"+l+"-6.1.0-amd64", rt.Tree+"/"+l); err != nil {
			t.Fatal(err)
		}
	}
	if err := run(t, rt); err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	for _, f := range isolinuxFiles {
		fi, err := os.Stat(rt.Tree + "/isolinux/" + f.name)
		if err != nil || fi.Mode().Perm() != 0o755 {
			t.Errorf("%s: %v %v", f.name, fi, err)
		}
	}
	if _, err := os.Stat(rt.Tree + "/isolinux/splash.png"); err == nil || !strings.Contains(log.String(), "plain background") {
		t.Errorf("splash without one in the data tree: %v, log %s", err, log)
	}
	kernel, _ := os.Stat(rt.Tree + "/boot/vmlinuz-6.1.0-amd64")
	linked, err := os.Lstat(rt.Tree + "/isolinux/vmlinuz")
	if err != nil || !os.SameFile(kernel, linked) {
		t.Errorf("isolinux/vmlinuz is not a hard link to the kernel: %v", err)
	}
	if cfg, err := os.ReadFile(rt.Tree + "/isolinux/isolinux.cfg"); err != nil || !strings.Contains(string(cfg), "append initrd=initrd.img boot=live quiet") {
		t.Errorf("isolinux.cfg: %v\n%s", err, cfg)
	}

	options["kernel"] = map[string]any{"dir": "/images/pxeboot"}
	rt, _ = runtimeFor(t, "org.osbuild.isolinux", options)
	rt.Inputs = map[string]Input{"data": {Path: data}}
	err = run(t, rt)
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Code != ExitBadOption || !strings.Contains(err.Error(), ".options.kernel.dir: /images/pxeboot/vmlinuz is not in the tree") {
		t.Errorf("missing kernel: %v", err)
	}
}

func writeTestFile(t *testing.T, p, data string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(path.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
}
