package stages

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// org.osbuild.rpm: install the RPMs of the "packages" input (curl sources)
// into the tree with the buildroot's rpm --root (Debian's rpm, added to the
// host buildroot for this stage; --force-debian where that rpm wants it),
// as osbuild does: the gpgkeys imported first, a package whose reference
// has "rpm.check_gpg" metadata verified with rpmkeys --checksig, then one
// rpm --install --nosignature of them all; gpgkeys.fromtree imported
// afterwards. dbpath, exclude.docs, nodeps, install_langs, ignorearch,
// ostree_booted, disable_dracut, generic_env and kernel_install_env as in
// osbuild, and like osbuild the stage leaves /etc/machine-id empty and
// removes /var/lib/systemd/random-seed. Unlike osbuild it mounts no /dev,
// /proc or /sys into the tree (that needs privileges): scriptlets run in
// the tree without them. osbuild's package metadata (rpm -qa) is not
// recorded.
func init() {
	Define(Definition[rpmOptions]{Type: "org.osbuild.rpm", Plan: planRPM, Run: runRPM})
}

type rpmOptions struct {
	DBPath          string   `json:"dbpath"`
	GPGKeys         []string `json:"gpgkeys"`
	GPGKeysFromTree []string `json:"gpgkeys.fromtree"`
	RPMKeys         *struct {
		BinPath              string `json:"bin_path"`
		IgnoreImportFailures bool   `json:"ignore_import_failures"`
	} `json:"rpmkeys"`
	DisableDracut bool `json:"disable_dracut"`
	Exclude       *struct {
		Docs bool `json:"docs"`
	} `json:"exclude"`
	InstallLangs     []string          `json:"install_langs"`
	NoDeps           bool              `json:"nodeps"`
	IgnoreArch       bool              `json:"ignorearch"`
	OstreeBooted     bool              `json:"ostree_booted"`
	GenericEnv       map[string]string `json:"generic_env"`
	KernelInstallEnv map[string]string `json:"kernel_install_env"`
}

// kernelInstallEnv names the variables kernel_install_env sets.
var kernelInstallEnv = map[string]string{
	"boot_root": "BOOT_ROOT", "conf_root": "KERNEL_INSTALL_CONF_ROOT",
	"plugins": "KERNEL_INSTALL_PLUGINS", "machine_id": "MACHINE_ID",
}

func planRPM(c *Context, o *rpmOptions) (*Plan, error) {
	if err := c.RequireInput("packages"); err != nil {
		return nil, err
	}
	if _, err := rpmEnv(o); err != nil {
		return nil, c.OptionError(manifest.Path{"generic_env"}, "%v", err)
	}
	for i, k := range o.GPGKeysFromTree {
		if _, err := c.TreePath(manifest.Path{"gpgkeys.fromtree", i}, k); err != nil {
			return nil, err
		}
	}
	return &Plan{Exec: &Exec{Root: RootBuildroot, Tools: []string{"rpm"}, Bulk: true}}, nil
}

// rpmEnv is the environment generic_env and kernel_install_env add; a
// variable both set is an error, as in osbuild.
func rpmEnv(o *rpmOptions) ([]string, error) {
	env := map[string]string{}
	maps.Copy(env, o.GenericEnv)
	var both []string
	for _, k := range slices.Sorted(maps.Keys(o.KernelInstallEnv)) {
		name, v := kernelInstallEnv[k], o.KernelInstallEnv[k]
		if v == "" {
			continue
		}
		if _, ok := o.GenericEnv[name]; ok {
			both = append(both, name)
		}
		env[name] = v
	}
	if len(both) > 0 {
		return nil, fmt.Errorf("environment variable(s) set in both generic_env and kernel_install_env: %s", strings.Join(both, ", "))
	}
	var out []string
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, k+"="+env[k])
	}
	return out, nil
}

func runRPM(rt *Runtime, o *rpmOptions) error {
	tree, err := rt.Path("/")
	if err != nil {
		return err
	}
	r := &rpmRun{rt: rt, o: o, tree: tree, keys: "rpmkeys"}
	if o.DBPath != "" {
		r.dbArgs = []string{"--dbpath", o.DBPath}
	}
	if o.RPMKeys != nil && o.RPMKeys.BinPath != "" {
		r.keys = o.RPMKeys.BinPath
	}
	if err := r.importKeys(); err != nil {
		return err
	}
	files, err := r.checkPackages()
	if err != nil {
		return err
	}
	return r.install(files)
}

type rpmRun struct {
	rt     *Runtime
	o      *rpmOptions
	tree   string
	keys   string
	dbArgs []string
}

func (r *rpmRun) rpmkeys(args ...string) error {
	return r.rt.Run(r.keys, append(append(slices.Clone(r.dbArgs), "--root", r.tree), args...)...)
}

func (r *rpmRun) importKeys() error {
	for i, key := range r.o.GPGKeys {
		f := filepath.Join(os.TempDir(), fmt.Sprintf("gpgkey.%d", i))
		if err := os.WriteFile(f, []byte(key), 0o600); err != nil {
			return err
		}
		err := r.rpmkeys("--import", f)
		os.Remove(f)
		if err != nil && (r.o.RPMKeys == nil || !r.o.RPMKeys.IgnoreImportFailures) {
			return fmt.Errorf("importing gpgkeys[%d]: %w", i, err)
		}
		if err != nil {
			r.rt.Logf("gpgkeys[%d] was not imported (ignore_import_failures): %v", i, err)
		}
	}
	return nil
}

// checkPackages lists the input's packages and verifies the signatures of
// those marked rpm.check_gpg.
func (r *rpmRun) checkPackages() ([]string, error) {
	in, err := r.rt.InputPath("packages")
	if err != nil {
		return nil, err
	}
	var files []string
	refs := r.rt.Inputs["packages"].Refs
	for _, ref := range slices.Sorted(maps.Keys(refs)) {
		var opts struct {
			Metadata map[string]any `json:"metadata"`
		}
		if raw := refs[ref]; len(raw) > 0 && string(raw) != "null" {
			if err := json.Unmarshal(raw, &opts); err != nil {
				return nil, fmt.Errorf("packages %s: %w", ref, err)
			}
		}
		file := filepath.Join(in, ref)
		if opts.Metadata["rpm.check_gpg"] == true {
			if err := r.rpmkeys("--checksig", file); err != nil {
				return nil, fmt.Errorf("the signature of %s does not verify with the manifest's gpgkeys (look the checksum up in the manifest's sources): %w", ref, err)
			}
		}
		files = append(files, file)
	}
	return files, nil
}

func (r *rpmRun) install(files []string) error {
	restore, err := r.prepareTree()
	if err != nil {
		return err
	}
	args := append(slices.Clone(r.dbArgs), "--verbose", "--root", r.tree)
	if out, _ := r.rt.Output("rpm", "--help"); strings.Contains(string(out), "--force-debian") {
		args = append(args, "--force-debian")
	}
	args = append(args, r.extraArgs()...)
	cmd := r.rt.Command("rpm", append(append(args, "--nosignature", "--install"), files...)...)
	env, _ := rpmEnv(r.o)
	cmd.Env = append(os.Environ(), env...)
	installErr := r.rt.Exec(cmd)
	if installErr == nil {
		for _, k := range r.o.GPGKeysFromTree {
			p, err := r.rt.Path(k)
			if err == nil {
				err = r.rpmkeys("--import", p)
			}
			if err != nil {
				installErr = fmt.Errorf("importing gpgkeys.fromtree %s: %w", k, err)
				break
			}
		}
	}
	return errors.Join(installErr, restore())
}

func (r *rpmRun) extraArgs() []string {
	var args []string
	if r.o.Exclude != nil && r.o.Exclude.Docs {
		args = append(args, "--excludedocs")
	}
	if r.o.NoDeps {
		args = append(args, "--nodeps")
	}
	if len(r.o.InstallLangs) > 0 {
		args = append(args, "--define", "%_install_langs "+strings.Join(r.o.InstallLangs, ":"))
	}
	if r.o.IgnoreArch {
		args = append(args, "--ignorearch")
	}
	return args
}
