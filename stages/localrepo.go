package stages

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// A locked package stage (org.osbuild.debootstrap or org.osbuild.apt with
// a "packages" input, as `osbuildkit lock` writes it) installs exactly the
// .debs of that input, with the network off: the helper indexes them as a
// local repository, as dpkg-scanpackages would, with the archive's
// Priority the lock recorded, and points apt at it. The input's checksums
// are the trust anchor (BuildKit checked each download against its
// checksum), so the local repository is trusted without a signature.

// lockedDeb is one .deb of a locked stage's "packages" input.
type lockedDeb struct {
	Ref  string // sha256:HEX
	Path string
	Meta map[string]string
}

// lockedDebs lists the stage's locked packages, by checksum; none when it
// has no "packages" input.
func (rt *Runtime) lockedDebs() ([]lockedDeb, error) {
	in, ok := rt.Inputs["packages"]
	if !ok {
		return nil, nil
	}
	var debs []lockedDeb
	for _, ref := range slices.Sorted(maps.Keys(in.Refs)) {
		var opts struct {
			Metadata map[string]any `json:"metadata"`
		}
		if raw := in.Refs[ref]; len(raw) > 0 && string(raw) != "null" {
			if err := json.Unmarshal(raw, &opts); err != nil {
				return nil, fmt.Errorf("packages %s: %w", ref, err)
			}
		}
		meta := map[string]string{}
		for k, v := range opts.Metadata {
			if s, ok := v.(string); ok {
				meta[k] = s
			}
		}
		debs = append(debs, lockedDeb{Ref: ref, Path: filepath.Join(in.Path, ref), Meta: meta})
	}
	return debs, nil
}

// writeLocalRepo makes dir a flat apt repository of debs: a link to each,
// named as the archive names it, and Packages and Release indexes whose
// Suite and Codename are suite (mmdebstrap selects by them).
func writeLocalRepo(dir, suite string, debs []lockedDeb) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	stanzas := make([]string, len(debs))
	names := make([]string, len(debs))
	errs := make([]error, len(debs))
	var wg sync.WaitGroup
	work := make(chan int)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				names[i], stanzas[i], errs[i] = debStanza(debs[i])
			}
		}()
	}
	for i := range debs {
		work <- i
	}
	close(work)
	wg.Wait()
	seen := map[string]string{}
	arches := map[string]bool{}
	for i, d := range debs {
		if errs[i] != nil {
			return errs[i]
		}
		if prev, dup := seen[names[i]]; dup {
			return fmt.Errorf("packages %s and %s are both %s", prev, d.Ref, names[i])
		}
		seen[names[i]] = d.Ref
		if err := os.Symlink(d.Path, filepath.Join(dir, names[i])); err != nil {
			return err
		}
		if a := controlFields(stanzas[i])["Architecture"]; a != "all" {
			arches[a] = true
		}
	}
	index := []byte(strings.Join(stanzas, "\n"))
	if err := os.WriteFile(filepath.Join(dir, "Packages"), index, 0o644); err != nil {
		return err
	}
	sum := sha256.Sum256(index)
	release := fmt.Sprintf("Suite: %s\nCodename: %s\nArchitectures: %s\nSHA256:\n %s %d Packages\n",
		suite, suite, strings.Join(slices.Sorted(maps.Keys(arches)), " "), hex.EncodeToString(sum[:]), len(index))
	return os.WriteFile(filepath.Join(dir, "Release"), []byte(release), 0o644)
}

// debStanza is the file name and Packages stanza of one locked .deb: its
// control fields, with the recorded Priority, and where and what it is.
func debStanza(d lockedDeb) (string, string, error) {
	hexSum, ok := strings.CutPrefix(d.Ref, "sha256:")
	if !ok {
		return "", "", fmt.Errorf("packages %s: a locked package is referenced by its sha256 checksum", d.Ref)
	}
	control, err := exec.Command("dpkg-deb", "--field", d.Path).Output()
	if err != nil {
		return "", "", fmt.Errorf("packages %s is not a Debian package: dpkg-deb: %w", d.Ref, err)
	}
	f := controlFields(string(control))
	for key, field := range map[string]string{MetaPackage: "Package", MetaVersion: "Version", MetaArch: "Architecture"} {
		if want, ok := d.Meta[key]; ok && want != f[field] {
			return "", "", fmt.Errorf("packages %s: its metadata says %s %q, the package's %s is %q", d.Ref, key, want, field, f[field])
		}
	}
	info, err := os.Stat(d.Path)
	if err != nil {
		return "", "", err
	}
	name := f["Package"] + "_" + strings.ReplaceAll(f["Version"], ":", "%3a") + "_" + f["Architecture"] + ".deb"
	priority := f["Priority"]
	if p := d.Meta[MetaPriority]; p != "" {
		priority = p
	}
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(string(control), "\n"), "\n") {
		if !strings.HasPrefix(line, "Priority:") {
			b.WriteString(line + "\n")
		}
	}
	if priority != "" {
		fmt.Fprintf(&b, "Priority: %s\n", priority)
	}
	fmt.Fprintf(&b, "Filename: ./%s\nSize: %d\nSHA256: %s\n", name, info.Size(), hexSum)
	return name, b.String(), nil
}
