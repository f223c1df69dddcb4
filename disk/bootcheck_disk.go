package disk

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// identities are the names the disk answers to, lower case: filesystem
// UUIDs (a FAT one also as its volume ID), partition UUIDs, labels and
// partition names.
type identities struct {
	fsUUID, partUUID, label, partLabel map[string]bool
	rootUUID                           string
}

func (d *Disk) identities() identities {
	id := identities{fsUUID: map[string]bool{}, partUUID: map[string]bool{}, label: map[string]bool{}, partLabel: map[string]bool{}}
	for i, p := range d.Partitions {
		if p.UUID != "" {
			id.partUUID[strings.ToLower(p.UUID)] = true
		}
		if d.PTType == "dos" && d.PTUUID != "" {
			id.partUUID[fmt.Sprintf("%s-%02x", strings.ToLower(volumeID(strings.TrimPrefix(d.PTUUID, "0x"))), i+1)] = true
		}
		if p.Name != "" {
			id.partLabel[p.Name] = true
		}
		fs := p.FS
		if fs == nil {
			continue
		}
		if fs.Label != "" {
			id.label[fs.Label] = true
		}
		if fs.UUID == "" {
			continue
		}
		u := strings.ToLower(fs.UUID)
		if fs.Type == "vfat" {
			v := strings.ToLower(volumeID(fs.UUID))
			u = v[:4] + "-" + v[4:]
		}
		id.fsUUID[u] = true
		if fs.Mountpoint == "/" {
			id.rootUUID = u
		}
	}
	return id
}

// has says whether a source (UUID=…, PARTUUID=…, LABEL=…, PARTLABEL=…, or
// their /dev/disk/by-* links) names something on the disk; other sources
// (device paths, tmpfs) are taken as found.
func (id identities) has(source string) bool {
	kind, v, ok := strings.Cut(source, "=")
	if !ok {
		for k, dir := range map[string]string{"UUID": "/dev/disk/by-uuid/", "PARTUUID": "/dev/disk/by-partuuid/", "LABEL": "/dev/disk/by-label/", "PARTLABEL": "/dev/disk/by-partlabel/"} {
			if rest, found := strings.CutPrefix(source, dir); found {
				kind, v = k, rest
			}
		}
	}
	v = strings.Trim(v, `"`)
	switch kind {
	case "UUID":
		return id.fsUUID[strings.ToLower(v)]
	case "PARTUUID":
		return id.partUUID[strings.ToLower(v)]
	case "LABEL":
		return id.label[v]
	case "PARTLABEL":
		return id.partLabel[v]
	}
	return true
}

var (
	rootArg        = regexp.MustCompile(`(?:^|\s)root=(\S+)`)
	searchFSUUID   = regexp.MustCompile(`(?m)^\s*search\b[^\n]*--fs-uuid\b[^\n]*\s([0-9A-Fa-f-]{8,})\s*$`)
	serialTerminal = regexp.MustCompile(`(?m)^\s*terminal_output\b.*\bserial\b`)
)

// grubRootChecks compares what GRUB boots with the disk's filesystems.
func grubRootChecks(id identities, cfgs map[string]string) []BootFinding {
	var out []BootFinding
	seen := map[string]bool{}
	add := func(ref, msg string) {
		if !seen[ref] {
			seen[ref] = true
			out = append(out, BootFinding{Check: CheckGRUBRoot, Ref: ref, Message: msg})
		}
	}
	for _, l := range linuxLines(cfgs) {
		m := rootArg.FindStringSubmatch(l)
		if m == nil || !strings.Contains(m[1], "=") {
			continue
		}
		switch {
		case !id.has(m[1]):
			add(m[1], fmt.Sprintf("GRUB boots the kernel with root=%s, which no filesystem on the disk has: the machine would wait for it and stop in the initramfs; give the root filesystem that UUID or GRUB the disk's", m[1]))
		case id.rootUUID != "" && strings.HasPrefix(m[1], "UUID=") && !strings.EqualFold(strings.TrimPrefix(m[1], "UUID="), id.rootUUID):
			add(m[1], fmt.Sprintf("GRUB boots the kernel with root=%s, but the disk's / is UUID=%s", m[1], id.rootUUID))
		}
	}
	for _, p := range slices.Sorted(maps.Keys(cfgs)) {
		for _, m := range searchFSUUID.FindAllStringSubmatch(cfgs[p], -1) {
			if !id.has("UUID=" + m[1]) {
				add(m[1], fmt.Sprintf("%s searches for the filesystem UUID %s, which the disk does not have: GRUB would stop at its prompt", p, m[1]))
			}
		}
	}
	return out
}

// firmwareChecks: an ESP needs the removable-media EFI binary (a new
// machine has no boot entry naming another), a BIOS boot partition needs
// GRUB's boot code.
func (d *Disk) firmwareChecks(t treeView) []BootFinding {
	var out []BootFinding
	for i, p := range d.Partitions {
		switch {
		case isESP(p) && p.FS != nil && p.FS.Mountpoint != "":
			if len(t.globFold(p.FS.Mountpoint, "EFI/BOOT/BOOT*.EFI")) > 0 {
				continue
			}
			other := ""
			if found := t.globFold(p.FS.Mountpoint, "EFI/*/*.EFI"); len(found) > 0 {
				other = found[0]
			}
			msg := t.efiBinaryMissing(i+1, p.FS.Mountpoint, other)
			out = append(out, BootFinding{Check: CheckEFI, Ref: p.FS.Mountpoint, Message: msg})
		case strings.EqualFold(p.Type, GPTBIOSBoot) && !d.biosBoot:
			out = append(out, BootFinding{Check: CheckBIOS, Message: fmt.Sprintf(
				"partition %d is a BIOS boot partition, but the tree has no GRUB for BIOS (/boot/grub/i386-pc), so no boot code was installed: install grub-pc-bin and set grub2's legacy option", i+1)})
		}
	}
	return out
}

// globFold matches pattern below dir in the tree, case-insensitively (FAT
// does not keep case), and returns the matches relative to dir.
func (t treeView) globFold(dir, pattern string) []string {
	base := t.path(dir)
	var out []string
	var walk func(rel string, parts []string)
	walk = func(rel string, parts []string) {
		if len(parts) == 0 {
			out = append(out, rel)
			return
		}
		entries, _ := os.ReadDir(filepath.Join(base, rel))
		for _, e := range entries {
			if ok, _ := filepath.Match(strings.ToUpper(parts[0]), strings.ToUpper(e.Name())); ok {
				walk(filepath.Join(rel, e.Name()), parts[1:])
			}
		}
	}
	walk("", strings.Split(pattern, "/"))
	sort.Strings(out)
	return out
}

// fstabChecks: every source /etc/fstab mounts at boot must be on the disk.
func fstabChecks(id identities, t treeView) []BootFinding {
	var out []BootFinding
	for _, l := range strings.Split(t.read("/etc/fstab"), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if len(f) >= 4 && (hasOption(f[3], "noauto") || hasOption(f[3], "nofail")) {
			continue
		}
		if !id.has(f[0]) {
			out = append(out, BootFinding{Check: CheckFstab, Ref: f[0], Message: fmt.Sprintf(
				"/etc/fstab mounts %s on %s, but no partition or filesystem on the disk is %s: the boot would wait for it and drop to the emergency shell", f[0], f[1], f[0])})
		}
	}
	return out
}

func hasOption(opts, o string) bool {
	for _, x := range strings.Split(opts, ",") {
		if x == o {
			return true
		}
	}
	return false
}

// serialChecks: a GRUB that talks on a serial line while its kernels have
// no console there leaves the serial console silent after GRUB.
func serialChecks(cfgs map[string]string) []BootFinding {
	for _, p := range slices.Sorted(maps.Keys(cfgs)) {
		cfg := cfgs[p]
		if !serialTerminal.MatchString(cfg) {
			continue
		}
		for _, l := range linuxLines(map[string]string{p: cfg}) {
			if !strings.Contains(l, "console=ttyS") && !strings.Contains(l, "console=ttyAMA") {
				return []BootFinding{{Check: CheckSerialCons, Ref: p, Message: fmt.Sprintf(
					"%s puts GRUB on the serial line, but its kernels have no console there (console=ttyS0 in kernel_opts): nothing after GRUB shows on it", p)}}
			}
		}
	}
	return nil
}
