package llb

import (
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/solver/pb"

	"github.com/osbuildkit/osbuildkit/stages"
)

// execsNamed are the exec ops named name (a stage may add a file op of
// the same name).
func execsNamed(ops []op, name string) []op {
	var out []op
	for _, o := range byName(ops, name) {
		if o.pb.GetExec() != nil {
			out = append(out, o)
		}
	}
	return out
}

func mountsOf(ex *pb.ExecOp) map[string]*pb.Mount {
	out := map[string]*pb.Mount{}
	for _, m := range ex.GetMounts() {
		out[m.GetDest()] = m
	}
	return out
}

// A locked package stage runs with the network off, its .debs mounted as
// the packages input and a tmpfs for the local repository; each .deb is
// an HTTP source pinned by its checksum.
func TestLockedStagesRunOffline(t *testing.T) {
	res, _, ops := compile(t, load(t, "testdata/locked-small.json"), Options{})
	for _, name := range []string{"[tree] org.osbuild.debootstrap", "[tree] org.osbuild.apt"} {
		got := execsNamed(ops, name)
		if len(got) != 1 {
			t.Fatalf("%s: %d ops", name, len(got))
		}
		ex := got[0].pb.GetExec()
		if ex.GetNetwork() != pb.NetMode_NONE {
			t.Errorf("%s runs with network %v", name, ex.GetNetwork())
		}
		mounts := mountsOf(ex)
		if m := mounts[stages.ScratchDir]; m == nil || m.GetMountType() != pb.MountType_TMPFS {
			t.Errorf("%s has no tmpfs at %s: %v", name, stages.ScratchDir, m)
		}
		if m := mounts[InputsDir+"/packages"]; m == nil || !m.GetReadonly() {
			t.Errorf("%s has no read-only packages input: %v", name, m)
		}
		for dest, m := range mounts {
			if m.GetMountType() == pb.MountType_CACHE {
				t.Errorf("%s has a cache mount at %s: a locked stage takes nothing from outside its inputs", name, dest)
			}
		}
	}
	if len(res.Downloads) != 3 {
		t.Errorf("%d downloads, want the 3 locked .debs", len(res.Downloads))
	}
	for sum, d := range res.Downloads {
		if !strings.HasSuffix(d.URL, ".deb") || d.Package == "" {
			t.Errorf("%s: %+v", sum, d)
		}
	}
}

// Options.Lock turns the selected stage into its resolve: the network on,
// never cached, the spec asking for a lock, the lock directory its output.
func TestLockResolvesTheSelectedStage(t *testing.T) {
	m := load(t, "../integration/testdata/lock-small.json")
	res, _, ops := compile(t, m, Options{Lock: ".pipelines[0].stages[1]"})
	if res.Lock == nil {
		t.Fatal("no lock output")
	}
	got := execsNamed(ops, "[tree] org.osbuild.apt (lock)")
	if len(got) != 1 {
		t.Fatalf("%d lock ops", len(got))
	}
	ex := got[0].pb.GetExec()
	if ex.GetNetwork() == pb.NetMode_NONE {
		t.Error("the resolve runs without network")
	}
	if !got[0].meta.IgnoreCache {
		t.Error("the resolve may come from the cache")
	}
	mounts := mountsOf(ex)
	if mounts[stages.LockDir] == nil || mounts[stages.ScratchDir] == nil {
		t.Errorf("mounts %v", slices.Collect(func(yield func(string) bool) {
			for d := range mounts {
				yield(d)
			}
		}))
	}
	if !slices.ContainsFunc(ex.GetMeta().GetEnv(), func(e string) bool { return strings.Contains(e, `"lock":"`+stages.LockDir+`"`) }) {
		t.Error("the spec does not ask for a lock")
	}
	// The stage before it is built as usual (cached, network as planned).
	if deb := execsNamed(ops, "[tree] org.osbuild.debootstrap"); len(deb) != 1 || deb[0].meta.IgnoreCache {
		t.Errorf("debootstrap: %d ops", len(deb))
	}
	// debootstrap's resolve is keyed by the suite's signed index: cached
	// until the mirror publishes a new one.
	_, _, ops = compile(t, m, Options{Lock: ".pipelines[0].stages[0]"})
	deb := execsNamed(ops, "[tree] org.osbuild.debootstrap (lock)")
	if len(deb) != 1 || deb[0].meta.IgnoreCache {
		t.Fatalf("debootstrap's resolve: %d ops, or never cached", len(deb))
	}
	if mountsOf(deb[0].pb.GetExec())[stages.LockDir+"-keys/0"] == nil {
		t.Error("debootstrap's resolve does not mount the suite's index")
	}
	index := byName(ops, "[tree] org.osbuild.debootstrap (lock) http://deb.debian.org/debian/dists/bookworm/InRelease")
	if len(index) != 1 || index[0].pb.GetSource().GetIdentifier() != "http://deb.debian.org/debian/dists/bookworm/InRelease" {
		t.Errorf("the index source: %v", index)
	}
	if res, _, _ := compile(t, m, Options{Lock: ".pipelines[0].stages[9]"}); res.Lock != nil {
		t.Error("a path that selects no stage gave a lock output")
	}
}
