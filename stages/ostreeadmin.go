package stages

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// osbuild's deploy form of org.osbuild.ostree: an OSTree sysroot in the
// tree (ostree admin init-fs --modern), the commit of the "commit" input
// pulled into it, a stateroot "osname" and a deployment of the commit with
// root= from rootfs and kernel_opts; populate_var makes /var; remotes are
// added to the sysroot's repository, which is made read-only
// (sysroot.readonly), as osbuild's stage does.

// ostreeMount is a mount point of the final file system.
type ostreeMount struct {
	Path string `json:"path"`
	Mode *int   `json:"mode"`
}

// ostreeRemote is a remote of the sysroot's repository.
type ostreeRemote struct {
	Name     string   `json:"name"`
	URL      string   `json:"url"`
	Branches []string `json:"branches"`
	GPGKeys  []string `json:"gpgkeys"`
}

// planOstreeDeploy plans the deploy form: the commit comes from a
// pipeline that committed a tree (an org.osbuild.ostree input); mounts
// are bind mounts, which need the security.insecure entitlement, and
// populate_var runs the buildroot's systemd-tmpfiles.
func planOstreeDeploy(c *Context, o *ostreeOptions) (*Plan, error) {
	if err := c.RequireInput("commit"); err != nil {
		return nil, err
	}
	in := c.Input("commit")
	if in.Type != "org.osbuild.ostree" || in.Origin != "org.osbuild.pipeline" {
		return nil, &manifest.LocationError{Path: in.Path, Err: errors.New("the commit is an org.osbuild.ostree input from the pipeline that commits the tree (origin org.osbuild.pipeline); osbuildkit does not implement the org.osbuild.ostree source")}
	}
	ex := &Exec{Root: RootBuildroot, Insecure: len(o.Mounts) > 0,
		// BuildKit's containers lack CAP_LINUX_IMMUTABLE: the deployment
		// is not made immutable (a disk made of the tree would not keep
		// the flag anyway).
		Env: []string{"OSTREE_SYSROOT_DEBUG=mutable-deployments"}}
	if o.PopulateVar {
		ex.Tools = []string{"systemd"}
	}
	return &Plan{Exec: ex}, nil
}

func runOstreeDeploy(rt *Runtime, o *ostreeOptions) error {
	srcRepo, commit, ref, err := ostreeInputCommit(rt)
	if err != nil {
		return err
	}
	tree := rt.Tree
	repo := filepath.Join(tree, "ostree/repo")
	steps := [][]string{
		{"admin", "init-fs", "--modern", tree, "--sysroot=" + tree},
		{"pull-local", srcRepo, ref, "--repo=" + repo},
		{"admin", "os-init", o.OSName, "--sysroot=" + tree},
	}
	for _, s := range steps {
		if err := rt.Run("ostree", s...); err != nil {
			return err
		}
	}
	if err := ostreeAdminDeploy(rt, o, ref); err != nil {
		return err
	}
	stateroot := filepath.Join(tree, "ostree/deploy", o.OSName)
	if o.PopulateVar {
		if err := populateVar(rt, stateroot, filepath.Join(stateroot, "deploy", commit+".0")); err != nil {
			return fmt.Errorf("populate_var: %w", err)
		}
	}
	if err := rt.Run("ostree", "config", "set", "sysroot.readonly", "true", "--repo="+repo); err != nil {
		return err
	}
	return ostreeRemotes(rt, repo, o.Remotes)
}

// ostreeInputCommit is the commit of the "commit" input: the pipeline's
// repository, the commit /compose.json names, and the ref to deploy (the
// reference's "ref", made in the sysroot's repository, or the commit).
func ostreeInputCommit(rt *Runtime) (repo, commit, ref string, err error) {
	in, ok := rt.Inputs["commit"]
	if !ok || len(in.Refs) != 1 {
		return "", "", "", errors.New("the stage needs exactly one commit in its input \"commit\"")
	}
	data, err := os.ReadFile(filepath.Join(in.Path, "compose.json"))
	if err != nil {
		return "", "", "", fmt.Errorf("the commit input's pipeline has no /compose.json (an org.osbuild.ostree.commit stage writes it): %w", err)
	}
	var compose struct {
		Commit string `json:"ostree-commit"`
	}
	if err := json.Unmarshal(data, &compose); err != nil || compose.Commit == "" {
		return "", "", "", fmt.Errorf("reading the commit input's /compose.json: %v", err)
	}
	var opts struct {
		Ref string `json:"ref"`
	}
	for _, raw := range in.Refs {
		if len(raw) > 0 && string(raw) != "null" {
			if err := json.Unmarshal(raw, &opts); err != nil {
				return "", "", "", err
			}
		}
	}
	ref = compose.Commit
	if opts.Ref != "" {
		ref = opts.Ref
	}
	return filepath.Join(in.Path, "repo"), compose.Commit, ref, nil
}

// ostreeAdminDeploy deploys ref, with the mounts osbuild bind-mounts onto
// themselves so that ostree sees them as mount points (a separate /boot
// changes the paths in the boot loader entries).
func ostreeAdminDeploy(rt *Runtime, o *ostreeOptions, ref string) error {
	var mounts []ostreeMount
	for _, raw := range o.Mounts {
		var m ostreeMount
		if err := json.Unmarshal(raw, &m); err != nil {
			return err
		}
		mounts = append(mounts, m)
	}
	for _, m := range mounts {
		p := filepath.Join(rt.Tree, strings.TrimLeft(m.Path, "/"))
		mode := os.FileMode(0o755)
		if m.Mode != nil {
			mode = os.FileMode(*m.Mode)
		}
		if err := os.MkdirAll(p, mode); err != nil {
			return err
		}
		if err := os.Chmod(p, mode); err != nil {
			return err
		}
		if err := unix.Mount(p, p, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("bind-mounting %s: %w", m.Path, err)
		}
		defer unix.Unmount(p, unix.MNT_DETACH)
	}
	args := []string{"admin", "deploy", ref, "--sysroot=" + rt.Tree, "--os=" + o.OSName}
	if o.Rootfs != nil {
		switch {
		case o.Rootfs.UUID != "":
			args = append(args, "--karg=root=UUID="+o.Rootfs.UUID)
		case o.Rootfs.Label != "":
			args = append(args, "--karg=root=LABEL="+o.Rootfs.Label)
		}
	}
	for _, k := range o.KernelOpts {
		args = append(args, "--karg-append="+k)
	}
	return rt.Run("ostree", args...)
}

// populateVar makes the stateroot's /var from the deployment's
// tmpfiles.d, as a first boot would (osbuild's populate_var, after
// anaconda's): the directories of /var that do not exist yet.
func populateVar(rt *Runtime, stateroot, deployment string) error {
	for _, d := range []string{"lib", "log"} {
		if err := os.MkdirAll(filepath.Join(stateroot, "var", d), 0o755); err != nil {
			return err
		}
	}
	// systemd-tmpfiles reads the deployment's configuration and users;
	// /var there is where the stateroot's is mounted at boot.
	depVar := filepath.Join(deployment, "var")
	cmd := rt.Command("systemd-tmpfiles", "--create", "--boot", "--root="+deployment, "--prefix=/var")
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		// 65: some lines were ignored (duplicates), nothing failed.
		if !errors.As(err, &ee) || ee.ExitCode() != 65 {
			return fmt.Errorf("systemd-tmpfiles: %w", err)
		}
	}
	if err := rt.Run("cp", "-a", "--no-clobber", depVar+"/.", filepath.Join(stateroot, "var")+"/"); err != nil {
		return err
	}
	return emptyDir(depVar)
}

// ostreeRemotes adds the remotes to the repository, with their keys, or
// without verification when they have none.
func ostreeRemotes(rt *Runtime, repo string, remotes []json.RawMessage) error {
	for _, raw := range remotes {
		var r ostreeRemote
		if err := json.Unmarshal(raw, &r); err != nil {
			return err
		}
		args := []string{"remote", "add", "--if-not-exists", "--repo=" + repo}
		if len(r.GPGKeys) == 0 {
			args = append(args, "--no-gpg-verify")
		}
		if err := rt.Run("ostree", append(append(args, r.Name, r.URL), r.Branches...)...); err != nil {
			return err
		}
		for _, key := range r.GPGKeys {
			cmd := rt.Command("ostree", "remote", "gpg-import", "--stdin", r.Name, "--repo="+repo)
			cmd.Stdin = strings.NewReader(key)
			if err := rt.Exec(cmd); err != nil {
				return err
			}
		}
	}
	return nil
}
