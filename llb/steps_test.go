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
