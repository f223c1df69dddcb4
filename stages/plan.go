package stages

import "os"

// Plan says how a stage runs. Exactly one of Files and Exec is set; a Plan
// with neither leaves the tree unchanged.
type Plan struct {
	// Files are file operations applied to the tree in order: no
	// container, the cheapest kind of step.
	Files []FileAction
	// Exec runs the helper, which calls the stage's Run.
	Exec *Exec
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
}

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
