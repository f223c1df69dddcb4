package stages

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// useLockedPackages points apt at a local repository of the stage's
// locked packages, and only at it, when the stage has a "packages" input.
// The tree's own apt configuration (sources, keys, pins) is written as
// without a lock, and its lists and package cache are left as they were.
func (a *aptRun) useLockedPackages() error {
	debs, err := a.rt.lockedDebs()
	if err != nil || len(debs) == 0 {
		return err
	}
	repo := filepath.Join(ScratchDir, "debs")
	if err := writeLocalRepo(repo, "osbuildkit-locked", debs); err != nil {
		return err
	}
	list := filepath.Join(ScratchDir, "sources.list")
	if err := os.WriteFile(list, []byte("deb [trusted=yes] file:"+repo+" ./\n"), 0o644); err != nil {
		return err
	}
	a.rt.Logf("installing from the %d locked packages of the packages input, with the network off", len(debs))
	a.locked = true
	return a.scratchDirs("-o", "Dir::Etc::SourceList="+list,
		"-o", "Dir::Etc::SourceParts="+filepath.Join(ScratchDir, "sources.list.d"))
}

// scratchDirs gives apt empty lists and package cache in the scratch
// directory (and an empty directory for source parts), and the options
// opts.
func (a *aptRun) scratchDirs(opts ...string) error {
	for _, d := range []string{"lists/partial", "archives/partial", "sources.list.d"} {
		if err := os.MkdirAll(filepath.Join(ScratchDir, d), 0o755); err != nil {
			return err
		}
	}
	a.extra = append(opts, "-o", "Acquire::Languages=none",
		"-o", "Dir::State::Lists="+filepath.Join(ScratchDir, "lists"),
		"-o", "Dir::Cache::Archives="+filepath.Join(ScratchDir, "archives"))
	return nil
}

// resolveApt is what the stage would download: the tree's apt, configured
// as the stage configures it, asked for the install (and the upgrade)
// with --print-uris against fresh lists and an empty package cache.
func resolveApt(rt *Runtime, o *aptOptions) ([]LockedPackage, error) {
	a := &aptRun{rt: rt, o: o}
	if err := a.configure(); err != nil {
		return nil, err
	}
	if err := a.scratchDirs(); err != nil {
		return nil, err
	}
	if err := a.aptGet("update"); err != nil {
		return nil, err
	}
	if err := a.checkPackages(); err != nil {
		return nil, rt.OptionError(manifest.Path{"packages"}, "%v", err)
	}
	var pkgs []LockedPackage
	commands := [][]string{append([]string{"install", "--print-uris"}, o.Packages...)}
	if o.Upgrade {
		commands = append([][]string{{"dist-upgrade", "--print-uris"}}, commands...)
	}
	seen := map[string]bool{}
	for _, args := range commands {
		out, err := rt.Output("apt-get", a.aptArgs(args...)...)
		if err != nil {
			return nil, rt.OptionError(manifest.Path{"packages"}, "apt cannot install them: %v%s", err, unmetDependencies(out))
		}
		got, err := parsePrintURIs(out)
		if err != nil {
			return nil, err
		}
		for _, p := range got {
			if key := p.Package + ":" + p.Architecture; !seen[key] {
				seen[key] = true
				pkgs = append(pkgs, p)
			}
		}
	}
	return pkgs, addArchiveFields(pkgs, func(args ...string) ([]byte, error) {
		return rt.Output("apt-cache", append(slices.Clone(a.extra), args...)...)
	})
}

// unmetDependencies is apt's explanation of a set it cannot install (it
// prints it on standard output): from "have unmet dependencies" to the
// end, on lines of their own; nothing when out has none.
func unmetDependencies(out []byte) string {
	i := bytes.Index(out, []byte("The following packages have unmet dependencies:"))
	if i < 0 {
		return ""
	}
	return "\n" + string(bytes.TrimSpace(out[i:]))
}
