package stages

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/osbuildkit/osbuildkit/internal/securejoin"
	"github.com/osbuildkit/osbuildkit/manifest"
)

// org.osbuild.selinux: SELinux labels for the tree (or, with target
// mount://NAME/, a mount's filesystem). With file_contexts (a path in the
// tree such as etc/selinux/default/contexts/files/file_contexts, which
// Debian's selinux-policy-default writes when installed, or a
// tree://, mount:// or input:// URL) setfiles(8) labels everything below
// target but exclude_paths; labels then sets the label of single paths
// (plain paths are in the tree). force_autorelabel writes "-F" to the
// target's /.autorelabel. setfiles is the buildroot's (policycoreutils,
// added to the host buildroot for this stage). It runs without
// privileges (security.insecure only for a target on the stage's mounts):
// BuildKit's containers write security.selinux attributes on our builders'
// kernels; where a kernel refuses, the stage fails and says so.
func init() {
	Define(Definition[selinuxOptions]{Type: "org.osbuild.selinux", Plan: planSelinux, Run: runSelinux})
}

type selinuxOptions struct {
	Target           string            `json:"target"`
	FileContexts     string            `json:"file_contexts"`
	ExcludePaths     []string          `json:"exclude_paths"`
	Labels           map[string]string `json:"labels"`
	ForceAutorelabel bool              `json:"force_autorelabel"`
}

// selinuxTools are the Debian packages the stage runs.
var selinuxTools = []string{"policycoreutils"}

// xattrSELinux is the attribute that holds a file's label.
const xattrSELinux = "security.selinux"

func planSelinux(c *Context, o *selinuxOptions) (*Plan, error) {
	check := func(at manifest.Path, s string) error {
		l, err := impliedTreeLocation(s)
		if err == nil {
			err = checkLocation(c.Stage, l)
		}
		if err != nil {
			return c.OptionError(at, "%v", err)
		}
		return nil
	}
	if o.Target != "" {
		if err := check(manifest.Path{"target"}, o.Target); err != nil {
			return nil, err
		}
	}
	if o.FileContexts != "" {
		if err := check(manifest.Path{"file_contexts"}, o.FileContexts); err != nil {
			return nil, err
		}
	}
	for _, p := range slices.Sorted(maps.Keys(o.Labels)) {
		if err := check(manifest.Path{"labels", p}, p); err != nil {
			return nil, err
		}
	}
	insecure := len(c.Mounts) > 0 || len(c.Devices) > 0
	return &Plan{Exec: &Exec{Root: RootBuildroot, Insecure: insecure, Tools: selinuxTools}}, nil
}

// impliedTreeLocation parses a location as osbuild's stages do: a plain
// path is in the tree.
func impliedTreeLocation(s string) (manifest.Location, error) {
	if !strings.Contains(s, "://") {
		p, err := manifest.TreePath(s)
		if err != nil {
			return manifest.Location{}, err
		}
		s = "tree://" + p
	}
	return manifest.ParseLocation(s)
}

func runSelinux(rt *Runtime, o *selinuxOptions) error {
	detach, err := rt.Attach()
	if err != nil {
		return err
	}
	defer detach()
	target := o.Target
	if target == "" {
		target = "tree:///"
	}
	root, dir, err := rt.locationRoot(target)
	if err != nil {
		return fmt.Errorf("target: %w", err)
	}
	if o.FileContexts != "" {
		if err := rt.setfiles(root, dir, o); err != nil {
			return err
		}
	}
	for _, p := range slices.Sorted(maps.Keys(o.Labels)) {
		if err := rt.setLabel(p, o.Labels[p]); err != nil {
			return err
		}
	}
	if o.ForceAutorelabel {
		// "-F" resets the full context at first boot (fixfiles -F).
		return os.WriteFile(filepath.Join(root, ".autorelabel"), []byte("-F"), 0o644)
	}
	return nil
}

// locationRoot is the root (tree, mount or input) of a location and the
// path below it.
func (rt *Runtime) locationRoot(url string) (string, string, error) {
	l, err := impliedTreeLocation(url)
	if err != nil {
		return "", "", err
	}
	whole, err := rt.resolve(l.Scheme + "://" + l.Name + "/")
	if err != nil {
		return "", "", err
	}
	return strings.TrimSuffix(whole, "/."), l.Path, nil
}

func (rt *Runtime) setfiles(root, dir string, o *selinuxOptions) error {
	l, err := impliedTreeLocation(o.FileContexts)
	if err != nil {
		return fmt.Errorf("file_contexts: %w", err)
	}
	spec, err := rt.resolve(l.Scheme + "://" + l.Name + l.Path)
	if err != nil {
		return fmt.Errorf("file_contexts: %w", err)
	}
	if _, err := os.Stat(spec); err != nil {
		return fmt.Errorf("file_contexts %s: %w (is the SELinux policy installed in the tree?)", o.FileContexts, err)
	}
	top, err := securejoin.Join(root, dir)
	if err != nil {
		return err
	}
	args := []string{"-F", "-r", root}
	for _, e := range o.ExcludePaths {
		args = append(args, "-e", filepath.Join(root, dir, e))
	}
	rt.Logf("labelling %s with %s", dir, o.FileContexts)
	return rt.Run("setfiles", append(args, spec, top)...)
}

// setLabel sets one path's label as setfilecon(3) does: following
// symbolic links (inside the tree), and content with a file system that
// cannot store labels when the path has this label already.
func (rt *Runtime) setLabel(path, label string) error {
	l, err := impliedTreeLocation(path)
	if err != nil {
		return fmt.Errorf("labels: %w", err)
	}
	p, err := rt.resolve(l.Scheme + "://" + l.Name + l.Path)
	if err != nil {
		return fmt.Errorf("labels: %s: %w", path, err)
	}
	err = unix.Lsetxattr(p, xattrSELinux, []byte(label), 0)
	if errors.Is(err, unix.ENOTSUP) {
		buf := make([]byte, 4096)
		if n, gerr := unix.Lgetxattr(p, xattrSELinux, buf); gerr == nil && strings.TrimRight(string(buf[:n]), "\x00\n") == label {
			return nil
		}
	}
	if errors.Is(err, unix.EPERM) {
		return fmt.Errorf("labels: setting %s on %s: %w (this builder's kernel does not let the build write security.selinux attributes)", label, path, err)
	}
	if err != nil {
		return fmt.Errorf("labels: setting %s on %s: %w", label, path, err)
	}
	return nil
}
