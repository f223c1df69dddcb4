package llb

import (
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/solver/pb"
	"github.com/osbuildkit/osbuildkit/manifest"
	"github.com/osbuildkit/osbuildkit/stages"
)

func TestFileStagesAreFileOps(t *testing.T) {
	_, _, ops := compile(t, load(t, "../manifest/testdata/osbuild-docs/doc-3.json"), Options{})
	for _, name := range []string{"[res] org.osbuild.mkdir", "[res] org.osbuild.copy"} {
		got := byName(ops, name)
		if len(got) != 1 || got[0].pb.GetFile() == nil {
			t.Errorf("%s: want one FileOp, got %d ops", name, len(got))
		}
	}
	curl := byName(ops, "[sources] org.osbuild.curl http://localhost:8080/curl-source-file.txt")
	if len(curl) != 1 {
		t.Fatalf("want one curl source op, got %d", len(curl))
	}
	src := curl[0].pb.GetSource()
	if src.GetIdentifier() != "http://localhost:8080/curl-source-file.txt" ||
		src.GetAttrs()["http.checksum"] != "sha256:29ddbe330656a28c0cd1f77332464b74146b32765bc9194112fdc0ffdade8727" ||
		src.GetAttrs()["http.filename"] != "sha256:29ddbe330656a28c0cd1f77332464b74146b32765bc9194112fdc0ffdade8727" {
		t.Errorf("curl source %v", src)
	}
}

func TestExecStageShape(t *testing.T) {
	_, _, ops := compile(t, load(t, "../manifest/testdata/osbuild-docs/doc-1.json"), Options{})
	got := byName(ops, "[tree] org.osbuild.truncate")
	if len(got) != 1 || got[0].pb.GetExec() == nil {
		t.Fatalf("want one ExecOp for truncate, got %v", got)
	}
	ex := got[0].pb.GetExec()
	if args := ex.GetMeta().GetArgs(); !slices.Equal(args, []string{stages.HelperPath, "stage", "org.osbuild.truncate"}) {
		t.Errorf("args %v", args)
	}
	if ex.GetNetwork() != pb.NetMode_NONE {
		t.Errorf("truncate runs with network %v, want none", ex.GetNetwork())
	}
	if ex.GetSecurity() != pb.SecurityMode_SANDBOX {
		t.Errorf("truncate runs with security %v", ex.GetSecurity())
	}
	var dests []string
	for _, m := range ex.GetMounts() {
		dests = append(dests, m.GetDest())
	}
	for _, want := range []string{"/", HelperDir, TreeDir} {
		if !slices.Contains(dests, want) {
			t.Errorf("mounts %v lack %s", dests, want)
		}
	}
	var spec string
	for _, e := range ex.GetMeta().GetEnv() {
		if v, ok := strings.CutPrefix(e, stages.SpecEnv+"="); ok {
			spec = v
		}
	}
	if !strings.Contains(spec, `"options":{"filename":"/newfile","size":"1G"}`) || !strings.Contains(spec, `"tree":"/run/osbuild/tree"`) {
		t.Errorf("spec %s", spec)
	}
}

// Only stages with devices or mounts (loop devices) request
// security.insecure, in the marshalled LLB of every example, and the
// compiler reports exactly those stages to the entitlement check: all but
// FAT made or filled on a loopback over a whole file (the live ISO's
// efiboot.img), which mkfs.fat and mcopy write without a loop device.
func TestInsecureOnlyWhereDevicesAreUsed(t *testing.T) {
	privileged := 0
	for f, m := range loadedExamples(t) {
		needs := map[string]bool{}
		for path, st := range stagesByPath(m) {
			if (len(st.Devices) > 0 || len(st.Mounts) > 0) && !fatOnWholeFiles(st) {
				needs[path] = true
			}
		}
		res, _, ops := compile(t, m, Options{})
		for _, o := range ops {
			ex := o.pb.GetExec()
			if ex == nil {
				continue
			}
			path := o.meta.Description[StageKey]
			insecure := ex.GetSecurity() == pb.SecurityMode_INSECURE
			if insecure != needs[path] {
				t.Errorf("%s: %s (%s): security.insecure %v, stage uses devices or mounts %v", f, o.name(), path, insecure, needs[path])
			}
			if insecure {
				privileged++
			}
		}
		var reported []string
		for _, st := range res.Insecure {
			reported = append(reported, st.Path.String())
		}
		if len(reported) != len(needs) {
			t.Errorf("%s: entitlement check told of %v, want the %d stages with devices", f, reported, len(needs))
		}
		for _, p := range reported {
			if !needs[p] {
				t.Errorf("%s: %s reported as needing security.insecure", f, p)
			}
		}
	}
	if privileged == 0 {
		t.Error("no example has a privileged stage; the check above checked nothing")
	}
}

// Pipeline trees, whether a stage's own, a pipeline input or the buildroot
// a foreign tree's native shell comes from, are mounted without content
// hashing (BuildKit would hash the whole tree to key each
// exec); source files and the helper (a selected directory) keep it.
func TestTreesAreNotContentHashed(t *testing.T) {
	trees, others := 0, 0
	for f, m := range loadedExamples(t) {
		byPath := stagesByPath(m)
		_, _, ops := compile(t, m, Options{})
		for _, o := range ops {
			ex := o.pb.GetExec()
			if ex == nil {
				continue
			}
			st := byPath[o.meta.Description[StageKey]]
			for _, mnt := range ex.GetMounts() {
				wantOff := false
				switch {
				case mnt.GetDest() == TreeDir, mnt.GetDest() == stages.BuildrootDir, mnt.GetDest() == stages.BareRootDir, mnt.GetDest() == stages.BaseTreeDir, mnt.GetDest() == stages.BaseDiskDir:
					wantOff = true
					trees++
				case strings.HasPrefix(mnt.GetDest(), InputsDir+"/"):
					var in *manifest.Input
					if st != nil {
						in = st.Input(strings.TrimPrefix(mnt.GetDest(), InputsDir+"/"))
					}
					if in == nil {
						t.Fatalf("%s: %s mounts %s, not an input of its stage", f, o.name(), mnt.GetDest())
					}
					wantOff = in.Origin == manifest.OriginPipeline
					if wantOff {
						trees++
					} else {
						others++
					}
				case mnt.GetDest() == HelperDir:
					others++
				}
				if off := mnt.GetContentCache() == pb.MountContentCache_OFF; off != wantOff {
					t.Errorf("%s: %s mount %s: content hashing off %v, want %v", f, o.name(), mnt.GetDest(), off, wantOff)
				}
			}
		}
	}
	if trees == 0 || others == 0 {
		t.Errorf("checked %d tree and %d other mounts; the examples should have both", trees, others)
	}
}

// fatOnWholeFiles says whether a stage is mkfs.fat or a copy whose devices
// are loopbacks over whole files (a filename and nothing else) and whose
// mounts are all FAT.
func fatOnWholeFiles(st *manifest.Stage) bool {
	if st.Type != "org.osbuild.mkfs.fat" && st.Type != "org.osbuild.copy" {
		return false
	}
	for _, d := range st.Devices {
		if _, ok := d.Options["filename"]; d.Type != "org.osbuild.loopback" || !ok || len(d.Options) != 1 {
			return false
		}
	}
	for _, mt := range st.Mounts {
		if mt.Type != "org.osbuild.fat" {
			return false
		}
	}
	return true
}

// An apt step, which may run a foreign tree, gets the bootstrap buildroot
// read-only at BuildrootDir for its native shell; a stage that does not
// ask for it (truncate) does not.
func TestNativeShellMount(t *testing.T) {
	for _, tc := range []struct {
		file, step string
		want       bool
	}{
		{"../images/debian-bookworm-arm64-qcow2.json", "[os] org.osbuild.apt", true},
		{"../images/debian-bookworm-qcow2.json", "[os] org.osbuild.apt", true},
		{"../manifest/testdata/osbuild-docs/doc-1.json", "[tree] org.osbuild.truncate", false},
	} {
		_, _, ops := compile(t, load(t, tc.file), Options{})
		got := byName(ops, tc.step)
		if len(got) != 1 || got[0].pb.GetExec() == nil {
			t.Fatalf("%s: want one ExecOp %s, got %v", tc.file, tc.step, got)
		}
		var found *pb.Mount
		for _, m := range got[0].pb.GetExec().GetMounts() {
			if m.GetDest() == stages.BuildrootDir {
				found = m
			}
		}
		if (found != nil) != tc.want {
			t.Errorf("%s: %s mounts the buildroot: %v, want %v", tc.file, tc.step, found != nil, tc.want)
		}
		if found != nil && !found.GetReadonly() {
			t.Errorf("%s: the buildroot is mounted writable", tc.file)
		}
	}
}

// No step mounts one result twice: BuildKit then releases it twice when
// the step fails, and its "releasing already released reference" hides
// the stage's error (seen with the apt step's certificates and buildroot).
func TestNoResultMountedTwice(t *testing.T) {
	execs := 0
	for f, m := range loadedExamples(t) {
		_, _, ops := compile(t, m, Options{})
		for _, o := range ops {
			ex := o.pb.GetExec()
			if ex == nil {
				continue
			}
			execs++
			seen := map[int64]string{}
			for _, mnt := range ex.GetMounts() {
				in := mnt.GetInput()
				if in < 0 || mnt.GetMountType() != pb.MountType_BIND {
					continue
				}
				if other, ok := seen[in]; ok {
					t.Errorf("%s: %s mounts input %d at %s and %s", f, o.name(), in, other, mnt.GetDest())
				}
				seen[in] = mnt.GetDest()
			}
		}
	}
	if execs == 0 {
		t.Error("no exec step checked")
	}
}

// A stage that writes only its tree, which starts empty (a disk image, an
// archive), runs in a bare root: BuildKit mounts no overlayfs for the
// step (no writable mount has a parent), so none syncs the disk when it
// is unmounted. The buildroot is there read-only and the helper is told
// where; a stage whose tree has content runs in the buildroot as before.
func TestOutputStagesRunInABareRoot(t *testing.T) {
	bare := map[string]bool{}
	for f, m := range loadedExamples(t) {
		_, _, ops := compile(t, m, Options{})
		for i := range ops {
			ex := ops[i].pb.GetExec()
			if ex == nil {
				continue
			}
			spec := stageSpecOf(ex)
			ro := mountOf(&ops[i], stages.BareRootDir)
			if (ro != nil) != (spec.BareRoot == stages.BareRootDir) {
				t.Errorf("%s: %s: buildroot mounted at %s %v, spec's bare-root %q", f, ops[i].name(), stages.BareRootDir, ro != nil, spec.BareRoot)
			}
			if ro == nil {
				continue
			}
			bare[ops[i].name()] = true
			if !ro.GetReadonly() || ro.GetInput() < 0 {
				t.Errorf("%s: %s: the buildroot is not mounted read-only: %v", f, ops[i].name(), ro)
			}
			for _, mnt := range ex.GetMounts() {
				if mnt.GetMountType() == pb.MountType_BIND && !mnt.GetReadonly() && mnt.GetInput() >= 0 {
					t.Errorf("%s: %s: %s is a writable mount of a result (an overlayfs)", f, ops[i].name(), mnt.GetDest())
				}
			}
		}
	}
	for _, want := range []string{"[assembler] org.osbuild.qemu (base filesystems)", "[assembler] org.osbuild.qemu", "[assembler] org.osbuild.tar", "[oci] org.osbuild.oci-archive"} {
		if !bare[want] {
			t.Errorf("%s does not run in a bare root", want)
		}
	}
	for _, not := range []string{"[os] org.osbuild.grub2", "[os] org.osbuild.debootstrap"} {
		if bare[not] {
			t.Errorf("%s runs in a bare root", not)
		}
	}
}
