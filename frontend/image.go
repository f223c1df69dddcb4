package frontend

import (
	"encoding/json"
	"github.com/containerd/platforms"

	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	"github.com/moby/buildkit/frontend/gateway/client"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// addImageConfig gives the result an image config, used when it is
// exported as a container image (--output type=image): a Debian tree runs
// like the debian image does.
func addImageConfig(res *client.Result, p *ocispecs.Platform) error {
	platform := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	if p != nil {
		platform = *p
	}
	img := dockerspec.DockerOCIImage{
		Image: ocispecs.Image{
			Platform: platform,
			RootFS:   ocispecs.RootFS{Type: "layers"},
			Config: ocispecs.ImageConfig{
				Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
			},
		},
	}
	dt, err := json.Marshal(img)
	if err != nil {
		return err
	}
	res.AddMeta(exptypes.ExporterImageConfigKey, dt)
	// The platform the result is for, as the Dockerfile frontend says it:
	// an exporter asked to split by platform (buildx's platform-split,
	// one node of a multi-node build) puts it in that platform's
	// directory, not in the build platform's.
	exp := exptypes.Platforms{Platforms: []exptypes.Platform{{ID: platforms.FormatAll(platforms.Normalize(platform)), Platform: platform}}}
	if dt, err = json.Marshal(exp); err != nil {
		return err
	}
	res.AddMeta(exptypes.ExporterPlatformsKey, dt)
	return nil
}
