package llb

import (
	"slices"
	"strings"
	"testing"
)

// Each step comes after what it waits for: its pipeline's previous stage,
// the buildroot it runs in and the pipelines it takes as inputs. The
// bootstrap and apt (for the CA certificates) wait only for the bootstrap
// tools, not for the rest of the host buildroot, which installs beside
// them.
func TestStepsAreOrderedByWhatTheyWaitFor(t *testing.T) {
	res, _, _ := compile(t, load(t, "../images/debian-bookworm-qcow2.json"), Options{})
	index := map[string]int{}
	for i, s := range res.Steps {
		index[s.Name] = i
		for _, a := range s.After {
			if a >= i {
				t.Errorf("step %d %s waits for a later step %d", i, s.Name, a)
			}
		}
	}
	want := map[string][]string{
		"[buildroot] install bootstrap tools": nil,
		"[buildroot] install stage tools":     {"[buildroot] install bootstrap tools"},
		"[os] org.osbuild.debootstrap":        {"[buildroot] install bootstrap tools"},
		"[os] org.osbuild.apt":                {"[buildroot] install bootstrap tools", "[os] org.osbuild.debootstrap"},
		"[os] org.osbuild.hostname":           {"[os] org.osbuild.users"},
		"[assembler] org.osbuild.qemu":        {"[buildroot] install stage tools", "[os] org.osbuild.grub2"},
	}
	for name, after := range want {
		i, ok := index[name]
		if !ok {
			t.Fatalf("no step %s in %v", name, index)
		}
		var got []string
		for _, a := range res.Steps[i].After {
			got = append(got, res.Steps[a].Name)
		}
		slices.Sort(got)
		if !slices.Equal(got, after) {
			t.Errorf("%s waits for %v, want %v", name, got, after)
		}
	}
}

// A stage's tools that the host buildroot already has are not installed
// again: the live ISO's GRUB stages ask for grub-pc-bin and grub-common,
// and only what HostTools lacks gets an install step.
func TestToolsTheHostBuildrootHasAreNotInstalledAgain(t *testing.T) {
	_, _, ops := compile(t, load(t, "../images/debian-bookworm-live-iso.json"), Options{})
	var installs []string
	for _, o := range ops {
		if n := o.name(); strings.HasPrefix(n, "[buildroot] install ") && n != "[buildroot] install stage tools" && n != "[buildroot] install bootstrap tools" {
			installs = append(installs, n)
		}
	}
	slices.Sort(installs)
	want := []string{"[buildroot] install grub-efi-amd64-signed shim-helpers-amd64-signed shim-signed", "[buildroot] install isomd5sum", "[buildroot] install squashfs-tools", "[buildroot] install xorriso"}
	if !slices.Equal(installs, want) {
		t.Errorf("install steps %q, want %q", installs, want)
	}
}

// mmdebstrap is unpacked in the bootstrap buildroot and installed by
// neither buildroot step: installed, it brings python3 (its declared
// dependency, which a bootstrap into a directory never runs) onto every
// cold build's critical path.
func TestMmdebstrapIsOnlyUnpacked(t *testing.T) {
	_, _, ops := compile(t, load(t, "../images/debian-bookworm-qcow2.json"), Options{})
	for name, unpacks := range map[string]bool{"[buildroot] install bootstrap tools": true, "[buildroot] install stage tools": false} {
		o := byName(ops, name)
		if len(o) != 1 || o[0].pb.GetExec() == nil {
			t.Fatalf("%d exec ops named %q", len(o), name)
		}
		script := strings.Join(o[0].pb.GetExec().Meta.Args, " ")
		i := strings.Index(script, " install -y")
		if i < 0 {
			t.Fatalf("%s installs nothing: %s", name, script)
		}
		install := script[i:]
		if strings.Contains(install, "mmdebstrap") {
			t.Errorf("%s installs mmdebstrap: %s", name, script)
		}
		if !strings.Contains(script, "Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= ") || !strings.Contains(script, " clean;") {
			t.Errorf("%s leaves apt's caches in the layer: %s", name, script)
		}
		if got := strings.Contains(script, " download -qq mmdebstrap") && strings.Contains(script, "dpkg-deb -x"); got != unpacks {
			t.Errorf("%s unpacks mmdebstrap: %v, want %v: %s", name, got, unpacks, script)
		}
	}
}

// The bootstrap and the apt stage after it share the package lists'
// cache, where the bootstrap leaves the lists it downloaded.
func TestBootstrapSharesAptLists(t *testing.T) {
	_, _, ops := compile(t, load(t, "../images/debian-bookworm-qcow2.json"), Options{})
	cacheIDs := func(name string) map[string]string {
		o := slices.DeleteFunc(byName(ops, name), func(o op) bool { return o.pb.GetExec() == nil })
		if len(o) != 1 {
			t.Fatalf("%d exec ops named %q", len(o), name)
		}
		ids := map[string]string{}
		for _, m := range o[0].pb.GetExec().Mounts {
			if m.CacheOpt != nil {
				ids[m.CacheOpt.ID] = m.Dest
			}
		}
		return ids
	}
	boot, apt := cacheIDs("[os] org.osbuild.debootstrap"), cacheIDs("[os] org.osbuild.apt")
	if boot["osbuildkit-apt-lists"] == "" || apt["osbuildkit-apt-lists"] != "/var/lib/apt/lists" {
		t.Errorf("the package lists' cache: bootstrap %v, apt %v", boot, apt)
	}
}
