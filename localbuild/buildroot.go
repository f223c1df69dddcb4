package localbuild

import (
	"context"
	"fmt"

	"github.com/distribution/reference"
	bkclient "github.com/moby/buildkit/client"
	bkllb "github.com/moby/buildkit/client/llb"
	exptypes "github.com/moby/buildkit/exporter/containerimage/exptypes"
	"github.com/moby/buildkit/session"
	"golang.org/x/sync/errgroup"

	"github.com/osbuildkit/osbuildkit/llb"
)

// PublishBuildroot builds the two host buildroots (llb.HostBuildroots) and
// pushes them as images: the bootstrap one to ref's tag with "-bootstrap"
// appended, the whole one to ref. It returns them as the buildroot option
// reads them, "BOOTSTRAP,HOST", each pinned by digest. Every layer is
// pushed zstd-compressed, the base image's too (a smaller pull: 50 MB
// against 69 MB for debian's layer).
func PublishBuildroot(ctx context.Context, ref string, opt Options) (string, error) {
	bootRef, hostRef, err := BuildrootRefs(ref)
	if err != nil {
		return "", err
	}
	if opt.Addr == "" {
		opt.Addr = DefaultAddr()
	}
	c, err := bkclient.New(ctx, opt.Addr)
	if err != nil {
		return "", fmt.Errorf("connecting to BuildKit at %s: %w", opt.Addr, err)
	}
	defer c.Close()
	boot, host := llb.HostBuildroots(ctx)
	var pinned []string
	for _, img := range []struct {
		st  bkllb.State
		ref reference.NamedTagged
	}{{boot, bootRef}, {host, hostRef}} {
		dgst, err := pushImage(ctx, c, img.st, img.ref.String(), opt.Progress)
		if err != nil {
			return "", fmt.Errorf("pushing %s: %w", img.ref, err)
		}
		pinned = append(pinned, img.ref.String()+"@"+dgst)
	}
	return pinned[0] + "," + pinned[1], nil
}

// BuildrootRefs are the tags PublishBuildroot pushes to for ref: REF's
// tag (latest when it has none) with "-bootstrap" appended, and REF.
func BuildrootRefs(ref string) (bootstrap, host reference.NamedTagged, err error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return nil, nil, fmt.Errorf("%q is not an image reference: %w", ref, err)
	}
	if _, ok := named.(reference.Digested); ok {
		return nil, nil, fmt.Errorf("%q: name a tag to push to, not a digest", ref)
	}
	host = reference.TagNameOnly(named).(reference.NamedTagged)
	bootstrap, err = reference.WithTag(named, host.Tag()+"-bootstrap")
	if err != nil {
		return nil, nil, fmt.Errorf("%q: %w", ref, err)
	}
	return bootstrap, host, nil
}

// pushImage solves st and pushes it to ref as a linux/amd64 image; it
// returns the pushed manifest's digest.
func pushImage(ctx context.Context, c *bkclient.Client, st bkllb.State, ref string, progress ProgressFunc) (string, error) {
	def, err := st.Marshal(ctx, bkllb.LinuxAmd64)
	if err != nil {
		return "", err
	}
	opt := bkclient.SolveOpt{Exports: []bkclient.ExportEntry{{
		Type: bkclient.ExporterImage,
		Attrs: map[string]string{
			"name": ref, "push": "true", "oci-mediatypes": "true", "compression": "zstd", "force-compression": "true",
			// The config's dates: the same steps from the cache push
			// the same digest, so the frontend image built on it stays
			// cached too.
			string(exptypes.OptKeySourceDateEpoch): "0",
		},
	}}, Session: []session.Attachable{registryAuth()}}
	ch := make(chan *bkclient.SolveStatus)
	var resp *bkclient.SolveResponse
	var eg errgroup.Group
	eg.Go(func() error {
		var err error
		resp, err = c.Solve(ctx, def, opt, ch)
		return err
	})
	eg.Go(func() error {
		_, err := show(ctx, progress, ch)
		return err
	})
	if err := eg.Wait(); err != nil {
		return "", err
	}
	dgst := resp.ExporterResponse[exptypes.ExporterImageDigestKey]
	if dgst == "" {
		return "", fmt.Errorf("BuildKit pushed %s without saying its digest", ref)
	}
	return dgst, nil
}
