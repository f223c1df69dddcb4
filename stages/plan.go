package stages

import (
	"os"

	"github.com/osbuildkit/osbuildkit/disk"
	"github.com/osbuildkit/osbuildkit/manifest"
)

// Plan says how a stage runs: the helper (Exec), then file operations
// (Files); either may be absent. A Plan with neither leaves the tree
// unchanged.
type Plan struct {
	// Exec runs the helper, which calls the stage's Run.
	Exec *Exec
	// Files are file operations applied to the tree in order: no
	// container, the cheapest kind of step. After an Exec they write what
	// must not be written from inside a container (/etc/hosts and
	// /etc/resolv.conf are BuildKit's bind mounts there).
	Files []FileAction
	// Outputs are the files the stage creates in the tree (archives, disk
	// images); two stages of a pipeline may not write the same one.
	Outputs []string
}

// Root says what the helper's root filesystem is.
type Root int

const (
	// RootBuildroot runs in the buildroot (the host buildroot or the
	// pipeline's build pipeline) with the tree at /run/osbuild/tree, as
	// osbuild does.
	RootBuildroot Root = iota
	// RootTree runs with the tree itself as the root filesystem: the
	// sandbox provides /proc, /sys and /dev, so tools inside the tree
	// (apt, useradd, systemctl) run as in a chroot without any privilege.
	RootTree
)

// Exec describes a helper run.
type Exec struct {
	Root Root
	// Network enables network access (package downloads); off otherwise.
	Network bool
	// Insecure runs with the security.insecure entitlement: loop devices
	// and mounts. Only stages with devices or mounts need it.
	Insecure bool
	// Caches are BuildKit cache mounts, kept across builds.
	Caches []Cache
	// Env is extra environment, KEY=VALUE, in a stable order.
	Env []string
	// Bootstrap says the stage needs only llb.BootstrapTools of the host
	// buildroot (mmdebstrap): it then starts before the other tools are
	// installed.
	Bootstrap bool
	// Tools are Debian packages the stage runs that HostTools lack; they
	// are added to the host buildroot for this stage's pipelines only (a
	// build pipeline's tree must have them itself).
	Tools []string
	// Scratch mounts a tmpfs at ScratchDir.
	Scratch bool
	// Bulk says the stage writes most of a tree (packages, a bootstrap).
	Bulk bool
	// Incremental names the input, a pipeline's tree, a disk stage makes
	// filesystems of. When other stages changed that tree after its
	// pipeline's last Bulk stage, the filesystems of the tree as it was
	// then are a step of their own (Spec.Base), cached apart, and the
	// stage brings a copy of them up to date (Spec.BaseDisk): a late
	// change re-runs seconds, not a mkfs.ext4 of the whole tree.
	Incremental string
	// NativeShell mounts the host buildroot, read-only, at BuildrootDir:
	// in a foreign tree, its dash runs the tree's shell scripts that fork
	// thousands of times (package standin), and its CA certificates serve
	// downloads from inside the tree (apt over https).
	NativeShell bool
	// ResolveKeys are URLs whose content decides what the stage resolves
	// to for osbuildkit lock (a mirror's signed index): the resolve is
	// cached by them and runs again when one changes. Without any, it
	// always runs.
	ResolveKeys []string
	// Options, when set, are the options the helper gets instead of the
	// stage's own: the stage's own with what the plan found elsewhere in
	// the manifest (the root filesystem's UUID a grub2 stage names).
	Options map[string]any
	// BareRoot says the stage writes nothing but its tree, which starts
	// empty (a disk image, an archive): the helper's root is then an empty
	// directory with the buildroot mounted read-only (BareRootDir) and
	// linked into it, as osbuild shows a build tree's /usr, rather than a
	// writable copy of the buildroot. BuildKit then mounts no overlayfs
	// for the step, whose unmount would sync the whole disk, the
	// step's output with it, before the step ends (1–2.6 s for the
	// reference image's 700 MB qcow2). A stage given a tree that is not
	// empty runs in the buildroot as usual.
	BareRoot bool
	// Report, when set, gives the step an output at ReportDir for the
	// findings the helper reports (Runtime.Report) and locates each in the
	// manifest: the build shows them as warnings, cached or not.
	Report Locator
}

// Locator places a finding the helper reported at the stage and option
// that should change.
type Locator func(f disk.BootFinding) (*manifest.Stage, manifest.Path)

// Cache is a persistent cache directory.
type Cache struct {
	ID     string
	Target string
	// Locked serialises builds sharing the cache (apt's archives).
	Locked bool
}

// FileAction is one file operation. Exactly one field is set.
type FileAction struct {
	Mkdir   *Mkdir
	Mkfile  *Mkfile
	Symlink *Symlink
	Rm      *Rm
	Copy    *Copy
}

// Mkdir creates a directory.
type Mkdir struct {
	Path    string
	Mode    os.FileMode
	Parents bool
}

// Mkfile writes a file.
type Mkfile struct {
	Path string
	Mode os.FileMode
	Data []byte
}

// Symlink creates a symbolic link at Path pointing to Target.
type Symlink struct {
	Target, Path string
}

// Rm removes a path.
type Rm struct {
	Path          string
	AllowNotFound bool
}

// Copy copies from an input (by input name), or from the tree itself when
// Input is empty, into the tree.
type Copy struct {
	Input string
	// Src is the path inside the input; Dest the path in the tree.
	Src, Dest string
	// ContentsOnly copies a directory's contents rather than the directory.
	ContentsOnly bool
}

// WriteFile is the file operations that (re)write a file, creating its
// directory and replacing whatever was there, a symlink included.
func WriteFile(path string, mode os.FileMode, data []byte) []FileAction {
	return []FileAction{
		{Mkdir: &Mkdir{Path: dirOf(path), Mode: 0o755, Parents: true}},
		{Rm: &Rm{Path: path, AllowNotFound: true}},
		{Mkfile: &Mkfile{Path: path, Mode: mode, Data: data}},
	}
}

// WriteSymlink is the file operations that (re)create a symbolic link,
// creating its directory and replacing whatever was there.
func WriteSymlink(path, target string) []FileAction {
	return []FileAction{
		{Mkdir: &Mkdir{Path: dirOf(path), Mode: 0o755, Parents: true}},
		{Rm: &Rm{Path: path, AllowNotFound: true}},
		{Symlink: &Symlink{Target: target, Path: path}},
	}
}

func dirOf(p string) string {
	for i := len(p) - 1; i > 0; i-- {
		if p[i] == '/' {
			return p[:i]
		}
	}
	return "/"
}
