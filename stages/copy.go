package stages

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/osbuildkit/osbuildkit/internal/securejoin"
	"github.com/osbuildkit/osbuildkit/manifest"
)

// org.osbuild.copy: copy from inputs, the tree or mounts into
// the tree or a mount, with cp -a semantics. A "from" ending in "/" copies a
// directory's contents. Copies whose result is unambiguous (directory
// contents, or a source file to a file path) are file operations; the rest
// run cp(1) in the buildroot, and copies to or from mount:// run there with
// security.insecure (loop devices and mounts).
func init() {
	Define(Definition[copyOptions]{Type: "org.osbuild.copy", Plan: planCopy, Run: runCopy})
}

type copyOptions struct {
	Paths []copyPath `json:"paths"`
}

type copyPath struct {
	From              string `json:"from"`
	To                string `json:"to"`
	RemoveDestination bool   `json:"remove_destination"`
}

func planCopy(c *Context, o *copyOptions) (*Plan, error) {
	p := &Plan{}
	asFiles := true
	for i, e := range o.Paths {
		from, err := manifest.ParseLocation(e.From)
		if err != nil {
			return nil, c.OptionError(manifest.Path{"paths", i, "from"}, "%v", err)
		}
		to, err := manifest.ParseLocation(e.To)
		if err != nil {
			return nil, c.OptionError(manifest.Path{"paths", i, "to"}, "%v", err)
		}
		for _, l := range []struct {
			loc manifest.Location
			key string
		}{{from, "from"}, {to, "to"}} {
			if err := checkLocation(c.Stage, l.loc); err != nil {
				return nil, c.OptionError(manifest.Path{"paths", i, l.key}, "%v", err)
			}
		}
		if to.Scheme == "input" {
			return nil, c.OptionError(manifest.Path{"paths", i, "to"}, "inputs are read-only: copy to tree:// or mount://")
		}
		if from.Scheme == "mount" || to.Scheme == "mount" {
			return planCopyMounts(c, o), nil
		}
		action, ok := copyAction(c.Stage, from, to)
		if !ok {
			asFiles = false
		}
		p.Files = append(p.Files, action)
	}
	if !asFiles {
		return InBuildroot(), nil
	}
	return p, nil
}

// planCopyMounts plans a copy that reads or writes mounts: with mcopy and
// no privileges when it only writes into FAT images of whole tree files,
// else with the stage's loop devices and mounts (security.insecure).
func planCopyMounts(c *Context, o *copyOptions) *Plan {
	if planFATImages(c.Stage) && !o.readsMount() {
		return &Plan{Exec: &Exec{Root: RootBuildroot, Tools: []string{"mtools"}}}
	}
	return &Plan{Exec: &Exec{Root: RootBuildroot, Insecure: true}}
}

// readsMount says whether a path copies from a mount, which mcopy does not
// do: such a copy attaches its devices and mounts.
func (o *copyOptions) readsMount() bool {
	return slices.ContainsFunc(o.Paths, func(e copyPath) bool { return strings.HasPrefix(e.From, "mount://") })
}

func checkLocation(st *manifest.Stage, l manifest.Location) error {
	switch l.Scheme {
	case "input":
		if st.Input(l.Name) == nil {
			return fmt.Errorf("the stage has no input %q", l.Name)
		}
	case "mount":
		for _, m := range st.Mounts {
			if m.Name == l.Name {
				return nil
			}
		}
		return fmt.Errorf("the stage has no mount %q", l.Name)
	}
	return nil
}

// copyAction is the file operation for a copy, and whether it matches
// cp -a exactly without knowing what the destination holds.
func copyAction(st *manifest.Stage, from, to manifest.Location) (FileAction, bool) {
	c := &Copy{Src: from.Path, Dest: to.Path, ContentsOnly: from.Contents}
	if from.Scheme == "input" {
		c.Input = from.Name
	}
	if from.Contents {
		return FileAction{Copy: c}, true
	}
	isFile := from.Scheme == "input" && st.Input(from.Name).Type == "org.osbuild.files" && path.Dir(from.Path) == "/"
	return FileAction{Copy: c}, isFile && !to.Contents
}

func runCopy(rt *Runtime, o *copyOptions) error {
	if images, ok := rt.fatImages(); ok && !o.readsMount() {
		return copyIntoFATImages(rt, o, images)
	}
	if len(rt.Devices) > 0 || len(rt.Mounts) > 0 {
		detach, err := rt.Attach()
		if err != nil {
			return err
		}
		defer detach()
	}
	for _, e := range o.Paths {
		if err := copyPaths(rt, e); err != nil {
			return err
		}
	}
	return nil
}

// copyPaths copies one of the stage's paths with cp -a.
func copyPaths(rt *Runtime, e copyPath) error {
	src, err := rt.resolve(e.From)
	if err != nil {
		return err
	}
	dst, err := rt.resolve(e.To)
	if err != nil {
		return err
	}
	args := []string{"-a", "--reflink=auto"}
	if e.RemoveDestination {
		args = append(args, "--remove-destination")
	}
	rt.Logf("copying %s -> %s", e.From, e.To)
	return rt.Run("cp", append(args, src, dst)...)
}

// resolve turns a copy URL into a path in the sandbox; tree and mount paths
// cannot escape through symlinks.
func (rt *Runtime) resolve(url string) (string, error) {
	l, err := manifest.ParseLocation(url)
	if err != nil {
		return "", err
	}
	var p string
	switch l.Scheme {
	case "tree":
		p, err = rt.Path(l.Path)
	case "input":
		var root string
		if root, err = rt.InputPath(l.Name); err == nil {
			p, err = securejoin.Join(root, l.Path)
		}
	case "mount":
		root, ok := rt.MountPaths[l.Name]
		if !ok {
			return "", fmt.Errorf("no mount %q", l.Name)
		}
		p, err = securejoin.Join(root, l.Path)
	}
	if err != nil {
		return "", err
	}
	if l.Contents {
		p += "/."
	}
	return p, nil
}

// copyIntoFATImages runs a copy whose mounts are FAT images of whole tree
// files (planCopyMounts): into them with mcopy, elsewhere with cp -a.
func copyIntoFATImages(rt *Runtime, o *copyOptions, images map[string]string) error {
	for _, e := range o.Paths {
		to, err := manifest.ParseLocation(e.To)
		if err != nil {
			return err
		}
		if to.Scheme != "mount" {
			if err := copyPaths(rt, e); err != nil {
				return err
			}
			continue
		}
		from, err := manifest.ParseLocation(e.From)
		if err != nil {
			return err
		}
		src, err := rt.resolve(e.From)
		if err != nil {
			return err
		}
		rt.Logf("copying %s -> %s (mcopy into %s)", e.From, e.To, images[to.Name])
		if err := rt.mcopy(images[to.Name], strings.TrimSuffix(src, "/."), from.Contents, to.Path); err != nil {
			return err
		}
	}
	return nil
}
