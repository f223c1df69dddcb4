package stages

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

type loopbackOptions struct {
	Filename   string `json:"filename"`
	Start      uint64 `json:"start"`
	Size       uint64 `json:"size"`
	Lock       bool   `json:"lock"`
	Partscan   bool   `json:"partscan"`
	ReadOnly   bool   `json:"read-only"`
	SectorSize uint64 `json:"sector-size"`
}

// Attach sets up the stage's devices and mounts (privileged stages only)
// and returns the function that tears them down, in reverse order. Loop
// devices are created with autoclear, so even a killed helper leaves none
// behind once its mounts and descriptors are gone.
func (rt *Runtime) Attach() (func(), error) {
	var undo []func()
	detach := func() {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
	}
	rt.DevicePaths = map[string]string{}
	for _, name := range deviceOrder(rt.Devices) {
		d := rt.Devices[name]
		if d.Type != "org.osbuild.loopback" {
			detach()
			return nil, fmt.Errorf("device %s: type %s is not supported", name, d.Type)
		}
		path, closeLoop, err := rt.attachLoop(d.Options)
		if err != nil {
			detach()
			return nil, fmt.Errorf("device %s: %w", name, err)
		}
		undo = append(undo, closeLoop)
		rt.DevicePaths[name] = path
	}
	rt.MountPaths = map[string]string{}
	for _, m := range rt.Mounts {
		target, unmount, err := rt.mount(m)
		if err != nil {
			detach()
			return nil, fmt.Errorf("mount %s: %w", m.Name, err)
		}
		undo = append(undo, unmount)
		rt.MountPaths[m.Name] = target
	}
	return detach, nil
}

// deviceOrder lists devices parents first, then by name.
func deviceOrder(devs map[string]Device) []string {
	var out []string
	seen := map[string]bool{}
	var visit func(string)
	visit = func(n string) {
		if seen[n] {
			return
		}
		seen[n] = true
		if p := devs[n].Parent; p != "" {
			visit(p)
		}
		out = append(out, n)
	}
	names := make([]string, 0, len(devs))
	for n := range devs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		visit(n)
	}
	return out
}

func (rt *Runtime) attachLoop(raw json.RawMessage) (string, func(), error) {
	o, err := decodeOptions[loopbackOptions](raw)
	if err != nil {
		return "", nil, fmt.Errorf("decoding the loopback options: %w", err)
	}
	sector := o.SectorSize
	if sector == 0 {
		sector = 512
	}
	file, err := rt.Path("/" + strings.TrimPrefix(strings.TrimPrefix(o.Filename, "tree://"), "/"))
	if err != nil {
		return "", nil, err
	}
	flags := os.O_RDWR
	if o.ReadOnly {
		flags = os.O_RDONLY
	}
	f, err := os.OpenFile(file, flags, 0)
	if err != nil {
		return "", nil, fmt.Errorf("opening %s: %w", o.Filename, err)
	}
	defer f.Close()
	for attempt := 0; ; attempt++ {
		path, loop, err := freeLoop()
		if err != nil {
			return "", nil, err
		}
		cfg := unix.LoopConfig{Fd: uint32(f.Fd()), Size: uint32(sector)}
		cfg.Info.Offset = o.Start * sector
		cfg.Info.Sizelimit = o.Size * sector
		cfg.Info.Flags = unix.LO_FLAGS_AUTOCLEAR
		if o.Partscan {
			cfg.Info.Flags |= unix.LO_FLAGS_PARTSCAN
		}
		if o.ReadOnly {
			cfg.Info.Flags |= unix.LO_FLAGS_READ_ONLY
		}
		err = unix.IoctlLoopConfigure(int(loop.Fd()), &cfg)
		if errors.Is(err, unix.EBUSY) && attempt < 10 {
			loop.Close() // another build took it first
			continue
		}
		if err != nil {
			loop.Close()
			return "", nil, fmt.Errorf("configuring %s: %w", path, err)
		}
		rt.Logf("attached %s to %s (offset %d, size %d)", o.Filename, path, cfg.Info.Offset, cfg.Info.Sizelimit)
		return path, func() {
			_ = unix.IoctlSetInt(int(loop.Fd()), unix.LOOP_CLR_FD, 0)
			loop.Close()
		}, nil
	}
}

// freeLoop asks the kernel for a free loop device and opens it, creating
// its node: /dev in the sandbox is a static copy that lacks new nodes.
func freeLoop() (string, *os.File, error) {
	ctl, err := os.OpenFile("/dev/loop-control", os.O_RDWR, 0)
	if err != nil {
		return "", nil, fmt.Errorf("opening /dev/loop-control (is the stage running with security.insecure?): %w", err)
	}
	defer ctl.Close()
	n, err := unix.IoctlRetInt(int(ctl.Fd()), unix.LOOP_CTL_GET_FREE)
	if err != nil {
		return "", nil, fmt.Errorf("finding a free loop device: %w", err)
	}
	path := fmt.Sprintf("/dev/loop%d", n)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if err := unix.Mknod(path, unix.S_IFBLK|0o660, int(unix.Mkdev(7, uint32(n)))); err != nil && !errors.Is(err, os.ErrExist) {
			return "", nil, fmt.Errorf("creating %s: %w", path, err)
		}
	}
	loop, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return "", nil, err
	}
	return path, loop, nil
}

var fsTypes = map[string]string{
	"org.osbuild.ext4":  "ext4",
	"org.osbuild.xfs":   "xfs",
	"org.osbuild.btrfs": "btrfs",
	"org.osbuild.fat":   "vfat",
}

// mountOptions are osbuild's mount options (schemas/mounts).
type mountOptions struct {
	ReadOnly   bool   `json:"readonly"`
	RO         bool   `json:"ro"`
	NoRecovery bool   `json:"norecovery"`
	Subvol     string `json:"subvol"`
	Compress   string `json:"compress"`
	UID        *int   `json:"uid"`
	GID        *int   `json:"gid"`
	Umask      string `json:"umask"`
	Shortname  string `json:"shortname"`
	Source     string `json:"source"` // org.osbuild.bind
}

// data is the filesystem's mount data, as osbuild passes the options.
func (o *mountOptions) data() string {
	var data []string
	if o.NoRecovery {
		data = append(data, "norecovery")
	}
	if o.Subvol != "" {
		data = append(data, "subvol="+o.Subvol)
	}
	if o.Compress != "" {
		data = append(data, "compress="+o.Compress)
	}
	if o.UID != nil {
		data = append(data, fmt.Sprintf("uid=%d", *o.UID))
	}
	if o.GID != nil {
		data = append(data, fmt.Sprintf("gid=%d", *o.GID))
	}
	if o.Umask != "" {
		data = append(data, "umask="+o.Umask)
	}
	if o.Shortname != "" {
		data = append(data, "shortname="+o.Shortname)
	}
	return strings.Join(data, ",")
}

func (rt *Runtime) mount(m Mount) (string, func(), error) {
	opts, err := decodeOptions[mountOptions](m.Options)
	if err != nil {
		return "", nil, fmt.Errorf("decoding the mount options: %w", err)
	}
	var flags uintptr
	if opts.ReadOnly || opts.RO {
		flags |= unix.MS_RDONLY
	}
	target := filepath.Join(MountRoot, m.Target)
	var source, fstype, data string
	if m.Type == "org.osbuild.bind" {
		// As osbuild binds: a path on another mount (mount://) onto a
		// path in the tree (tree://), with what is mounted below it.
		if source, err = rt.resolve(opts.Source); err != nil {
			return "", nil, err
		}
		if target, err = rt.resolve(m.Target); err != nil {
			return "", nil, err
		}
		flags |= unix.MS_BIND | unix.MS_REC
	} else {
		var ok bool
		if fstype, ok = fsTypes[m.Type]; !ok {
			return "", nil, fmt.Errorf("type %s is not supported", m.Type)
		}
		if source, ok = rt.DevicePaths[m.Source]; !ok {
			return "", nil, fmt.Errorf("no device %q", m.Source)
		}
		data = opts.data()
	}
	if err := os.MkdirAll(target, 0o755); err != nil {
		return "", nil, err
	}
	if err := unix.Mount(source, target, fstype, flags, data); err != nil {
		return "", nil, fmt.Errorf("mounting %s on %s: %w", source, target, err)
	}
	return target, func() {
		if err := unix.Unmount(target, 0); err != nil {
			_ = unix.Unmount(target, unix.MNT_DETACH)
		}
	}, nil
}
