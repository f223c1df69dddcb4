package stages

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// aptGet runs apt-get with the stage's options (and the locked or
// resolving run's extra ones).
func (a *aptRun) aptGet(args ...string) error {
	return a.rt.Run("apt-get", a.aptArgs(args...)...)
}

// aptArgs are apt-get's arguments for args.
func (a *aptRun) aptArgs(args ...string) []string {
	opts := []string{"-y", "-q",
		"-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold",
		"-o", fmt.Sprintf("APT::Install-Recommends=%v", a.o.InstallRecommends),
		"-o", "APT::Keep-Downloaded-Packages=true",
		// The package lists are a cache mount, never part of the tree,
		// and nothing installed reads their translated descriptions.
		"-o", "Acquire::Languages=none",
	}
	if ca := filepath.Join(BuildrootDir, "etc/ssl/certs/ca-certificates.crt"); exists(ca) {
		opts = append(opts, "-o", "Acquire::https::CaInfo="+ca)
	}
	if a.o.AptProxy != "" {
		opts = append(opts, "-o", "Acquire::http::Proxy="+a.o.AptProxy)
	}
	return append(append(opts, a.extra...), args...)
}

// configure writes keys, extra repositories and pins into the tree.
func (a *aptRun) configure() error {
	for i, key := range a.o.Keys {
		if err := a.rt.WriteFile(fmt.Sprintf("/etc/apt/trusted.gpg.d/osbuildkit-%d.asc", i), []byte(key), 0o644); err != nil {
			return err
		}
	}
	for _, r := range a.o.Repositories {
		opt := ""
		if r.SignedBy != "" {
			key := fmt.Sprintf("/etc/apt/keyrings/%s.asc", r.Name)
			if err := a.rt.WriteFile(key, []byte(r.SignedBy), 0o644); err != nil {
				return err
			}
			opt = " [signed-by=" + key + "]"
		}
		comps := r.Components
		if len(comps) == 0 {
			comps = []string{"main"}
		}
		line := fmt.Sprintf("deb%s %s %s %s\n", opt, r.URL, r.Suite, strings.Join(comps, " "))
		if err := a.rt.WriteFile("/etc/apt/sources.list.d/"+r.Name+".list", []byte(line), 0o644); err != nil {
			return err
		}
	}
	if len(a.o.Pin) > 0 {
		var b strings.Builder
		for _, p := range a.o.Pin {
			fmt.Fprintf(&b, "Package: %s\nPin: %s\nPin-Priority: %d\n\n", p.Package, p.Pin, p.Priority)
		}
		if err := a.rt.WriteFile("/etc/apt/preferences.d/osbuildkit", []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	return a.addArchitectures()
}

// addArchitectures enables in dpkg the architectures the packages name
// (libc6:i386) besides the tree's own, as a user would with `dpkg
// --add-architecture` before apt-get update.
func (a *aptRun) addArchitectures() error {
	var names []string
	for _, p := range a.o.Packages {
		if arch := packageArch(p); arch != "" {
			names = append(names, arch)
		}
	}
	if len(names) == 0 {
		return nil
	}
	native, err := a.rt.Output("dpkg", "--print-architecture")
	if err != nil {
		return err
	}
	foreign, err := a.rt.Output("dpkg", "--print-foreign-architectures")
	if err != nil {
		return err
	}
	for _, arch := range missingArchitectures(names, strings.TrimSpace(string(native)), strings.Fields(string(foreign))) {
		a.rt.Logf("osbuildkit: dpkg --add-architecture %s (the packages name it)", arch)
		if err := a.rt.Run("dpkg", "--add-architecture", arch); err != nil {
			return err
		}
	}
	return nil
}

// packageArch is the architecture a package argument names
// (libc6:i386, libc6:i386=2.36-9, libc6:i386/bookworm), or "" for none
// and for apt's own qualifiers (all, any, native).
func packageArch(p string) string {
	_, arch, ok := strings.Cut(p, ":")
	if !ok {
		return ""
	}
	if i := strings.IndexAny(arch, "=/"); i >= 0 {
		arch = arch[:i]
	}
	switch arch {
	case "all", "any", "native":
		return ""
	}
	for _, c := range arch {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return "" // not an architecture: apt says what is wrong
		}
	}
	return arch
}

// missingArchitectures are the architectures of names that are neither
// native nor among have, once each, in order.
func missingArchitectures(names []string, native string, have []string) []string {
	var missing []string
	for _, n := range names {
		if n != native && !slices.Contains(have, n) && !slices.Contains(missing, n) {
			missing = append(missing, n)
		}
	}
	return missing
}
