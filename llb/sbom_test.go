package llb

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/solver/pb"

	"github.com/osbuildkit/osbuildkit/manifest"
	"github.com/osbuildkit/osbuildkit/sbom"
)

// lockedWithTar is testdata/locked-small.json (a locked tree) with a tar
// pipeline made from it, with a source epoch.
func lockedWithTar(t *testing.T) *manifest.Manifest {
	t.Helper()
	data, err := os.ReadFile("testdata/locked-small.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	m["pipelines"] = append(m["pipelines"].([]any), map[string]any{
		"name": "tar", "source-epoch": 1700000000,
		"stages": []any{map[string]any{"type": "org.osbuild.tar", "options": map[string]any{"filename": "small.tar"},
			"inputs": map[string]any{"tree": map[string]any{"type": "org.osbuild.tree", "origin": "org.osbuild.pipeline", "references": []any{"name:tree"}}}}},
	})
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	lm, err := manifest.Load("locked-tar.json", out)
	if err != nil {
		t.Fatal(err)
	}
	return lm
}

// sbomStep is the SBOM exec of a compiled export, and the spec it is given.
func sbomStep(t *testing.T, ops []op, export string) (*pb.ExecOp, sbom.Spec) {
	t.Helper()
	steps := byName(ops, "["+export+"] sbom")
	specs := byName(ops, "["+export+"] sbom spec")
	if len(steps) != 1 || len(specs) != 1 {
		t.Fatalf("%d SBOM steps and %d specs for %s", len(steps), len(specs), export)
	}
	var spec sbom.Spec
	mk := specs[0].pb.GetFile().GetActions()[0].GetMkfile()
	if err := json.Unmarshal(mk.GetData(), &spec); err != nil {
		t.Fatal(err)
	}
	return steps[0].pb.GetExec(), spec
}

// The SBOM step of an export: the helper alone on an empty root, no
// network, the export's tree and the trees it was built from mounted
// read-only without content hashing, the locked .debs and the source
// epoch in its spec; beside the export in the output; the same LLB twice.
func TestSBOMStep(t *testing.T) {
	m := lockedWithTar(t)
	_, def, ops := compile(t, m, Options{Exports: []string{"tar"}, SBOM: SBOMBeside})
	ex, spec := sbomStep(t, ops, "tar")
	if args := ex.GetMeta().GetArgs(); !slices.Equal(args, []string{HelperDir + "/osbuildkit", "sbom", "--step"}) {
		t.Errorf("args %v", args)
	}
	if ex.GetNetwork() != pb.NetMode_NONE {
		t.Errorf("network %v", ex.GetNetwork())
	}
	if !slices.Equal(spec.Trees, []string{"tar", "tree"}) || spec.Created != 1700000000 || spec.Name != "tar" || spec.File != "" {
		t.Errorf("spec %+v", spec)
	}
	locked := 0
	for _, s := range spec.Sources {
		if s.Package != "" && strings.HasPrefix(s.Checksum, "sha256:") && strings.HasSuffix(s.URL, ".deb") {
			locked++
		}
	}
	if locked != len(spec.Sources) || locked != 3 || !slices.ContainsFunc(spec.Sources, func(s sbom.Source) bool { return s.Package == "less 590-2.1~deb12u2 (amd64)" }) {
		t.Errorf("%d of %d sources are locked .debs: %+v", locked, len(spec.Sources), spec.Sources[:2])
	}
	mounts := map[string]*pb.Mount{}
	for _, mnt := range ex.GetMounts() {
		mounts[mnt.GetDest()] = mnt
	}
	if root := mounts["/"]; root == nil || root.GetInput() != -1 {
		t.Errorf("the root is not empty: %+v", root)
	}
	for _, dir := range []string{sbom.StepTreeDir + "/0", sbom.StepTreeDir + "/1"} {
		if mnt := mounts[dir]; mnt == nil || !mnt.GetReadonly() || mnt.GetContentCache() != pb.MountContentCache_OFF {
			t.Errorf("tree mount %s: %+v", dir, mnt)
		}
	}
	if mounts[HelperDir] == nil || !mounts[HelperDir].GetReadonly() || mounts[sbom.StepOutDir] == nil {
		t.Errorf("mounts %v", mounts)
	}
	if merged := byName(ops, "[export] tar and its SBOM"); len(merged) != 1 || merged[0].pb.GetMerge() == nil {
		t.Error("the flat export does not merge the tree with its SBOM")
	}
	_, again, _ := compile(t, m, Options{Exports: []string{"tar"}, SBOM: SBOMBeside})
	if d1, d2 := lastDigest(def), lastDigest(again); d1 != d2 {
		t.Errorf("two compilations differ: %s %s", d1, d2)
	}
}

// Attested SBOMs are not in the output, and each of several exports names
// its document after its pipeline (BuildKit names attestation files by
// the document's name); no SBOM is compiled unless asked for.
func TestSBOMAttestedAndOff(t *testing.T) {
	m := lockedWithTar(t)
	res, _, ops := compile(t, m, Options{Exports: []string{"tar", "tree"}, SBOM: SBOMAttest})
	if len(res.SBOMs) != 2 || len(byName(ops, "[tar] sbom")) != 0 {
		t.Fatalf("%d SBOMs; in the output: %d", len(res.SBOMs), len(byName(ops, "[tar] sbom")))
	}
	def, err := res.SBOMs["tree"].Marshal(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, b := range def.Def {
		var o pb.Op
		if o.UnmarshalVT(b) == nil && o.GetFile() != nil {
			if mk := o.GetFile().GetActions()[0].GetMkfile(); mk != nil {
				var spec sbom.Spec
				found = json.Unmarshal(mk.GetData(), &spec) == nil && spec.File == "tree.spdx.json" && slices.Equal(spec.Trees, []string{"tree"})
			}
		}
	}
	if !found {
		t.Error("the tree's attested SBOM spec does not name its file tree.spdx.json")
	}
	res, _, ops = compile(t, m, Options{Exports: []string{"tar"}})
	if res.SBOMs != nil || len(byName(ops, "[tar] sbom")) != 0 {
		t.Error("an SBOM without SBOM asked for")
	}
}

func lastDigest(def interface{ ToPB() *pb.Definition }) string {
	d := def.ToPB().GetDef()
	return string(d[len(d)-1])
}
