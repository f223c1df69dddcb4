package frontend

import (
	"context"
	"fmt"
	"slices"

	intoto "github.com/in-toto/in-toto-golang/in_toto"
	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/gateway/client"
	gatewaypb "github.com/moby/buildkit/frontend/gateway/pb"
	"github.com/moby/buildkit/solver/result"

	"github.com/osbuildkit/osbuildkit/llb"
)

// attachSBOMs solves each export's SBOM step and attaches the document as
// the result's SPDX attestation (under platformKey, the platform of the
// image config, as BuildKit keys them): BuildKit's image exporter puts it in the
// pushed index, the local and tar exporters write it beside the output,
// and its own scanner does not run.
func attachSBOMs(ctx context.Context, c client.Client, res *llb.Result, out *client.Result, platformKey string, marshalOpts []bkllb.ConstraintsOpt) error {
	names := make([]string, 0, len(res.SBOMs))
	for name := range res.SBOMs {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		def, err := res.SBOMs[name].Marshal(ctx, append(marshalOpts, bkllb.LinuxAmd64)...)
		if err != nil {
			return fmt.Errorf("marshalling the SBOM step of %s: %w", name, err)
		}
		solved, err := c.Solve(ctx, client.SolveRequest{Definition: def.ToPB(), Evaluate: true})
		if err != nil {
			return fmt.Errorf("the SBOM of pipeline %s: %w", name, err)
		}
		ref, err := solved.SingleRef()
		if err != nil {
			return err
		}
		entries, err := ref.ReadDir(ctx, client.ReadDirRequest{Path: "/"})
		if err != nil {
			return err
		}
		if len(entries) != 1 {
			return fmt.Errorf("the SBOM step of pipeline %s wrote %d files, not one", name, len(entries))
		}
		out.AddAttestation(platformKey, client.Attestation{
			Kind: gatewaypb.AttestationKind_InToto,
			Ref:  ref,
			Path: "/" + entries[0].Path,
			Metadata: map[string][]byte{
				result.AttestationReasonKey: []byte(result.AttestationReasonSBOM),
			},
			InToto: result.InTotoAttestation{PredicateType: intoto.PredicateSPDX},
		})
	}
	return nil
}
