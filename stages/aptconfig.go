package stages

import (
	"fmt"
	"os"
	"path/filepath"
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
	}
	if _, err := os.Stat(filepath.Join(CertsDir, "ca-certificates.crt")); err == nil {
		opts = append(opts, "-o", "Acquire::https::CaInfo="+filepath.Join(CertsDir, "ca-certificates.crt"))
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
	return nil
}
