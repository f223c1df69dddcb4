package stages

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// org.osbuild.oci-archive: the "base" input tree as a
// single-layer OCI image, delivered as an OCI archive (a tar of an OCI
// image layout) named filename. The config takes osbuild's fields (Cmd,
// Entrypoint, Env, ExposedPorts, User, Labels, WorkingDir, StopSignal,
// Volumes); with source-epoch, the image's times are set to it. The v1
// assembler of the same name takes the tree as its input.
func init() { Define(OCIArchive(manifest.KindStage, "base")) }

// OCIArchive is the org.osbuild.oci-archive stage or assembler, whose tree
// is the named input.
func OCIArchive(kind manifest.Kind, input string) Definition[OCIOptions] {
	return Definition[OCIOptions]{
		Type: "org.osbuild.oci-archive",
		Kind: kind,
		Plan: func(c *Context, o *OCIOptions) (*Plan, error) {
			if err := c.RequireInput(input); err != nil {
				return nil, err
			}
			plan := InBuildroot()
			plan.Outputs = []string{o.Filename}
			return plan, nil
		},
		Run: func(rt *Runtime, o *OCIOptions) error { return runOCIArchive(rt, o, input) },
	}
}

// OCIOptions are org.osbuild.oci-archive's options.
type OCIOptions struct {
	Filename     string            `json:"filename"`
	Architecture string            `json:"architecture"`
	Config       ociConfig         `json:"config"`
	Annotations  map[string]string `json:"annotations"`
}

type ociConfig struct {
	Cmd          []string          `json:"Cmd"`
	Entrypoint   []string          `json:"Entrypoint"`
	Env          []string          `json:"Env"`
	ExposedPorts []string          `json:"ExposedPorts"`
	User         string            `json:"User"`
	Labels       map[string]string `json:"Labels"`
	WorkingDir   string            `json:"WorkingDir"`
	StopSignal   string            `json:"StopSignal"`
	Volumes      []string          `json:"Volumes"`
}

func runOCIArchive(rt *Runtime, o *OCIOptions, input string) error {
	tree, err := rt.InputPath(input)
	if err != nil {
		return err
	}
	out, err := rt.Path("/" + o.Filename)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp(filepath.Dir(out), ".oci-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	layerTar := filepath.Join(work, "layer.tar")
	args := append(tarArgs(&TarOptions{}, rt.SourceEpoch), "--file", layerTar, "--directory", tree, ".")
	if err := rt.Run("tar", args...); err != nil {
		return err
	}
	img, err := ociImage(layerTar, o, rt.SourceEpoch)
	if err != nil {
		return err
	}
	dir := filepath.Join(work, "layout")
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	if err := p.AppendImage(img); err != nil {
		return fmt.Errorf("writing the OCI layout: %w", err)
	}
	tmp := out + ".partial"
	if err := rt.Run("tar", "--create", "--sort=name", "--numeric-owner", "--owner=0", "--group=0", "--mtime=@0", "--file", tmp, "--directory", dir, "."); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}

func ociImage(layerTar string, o *OCIOptions, epoch *int64) (v1.Image, error) {
	layer, err := tarball.LayerFromFile(layerTar, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	created := time.Unix(0, 0).UTC()
	if epoch != nil {
		created = time.Unix(*epoch, 0).UTC()
	}
	img, err = mutate.Append(img, mutate.Addendum{Layer: layer, History: v1.History{Created: v1.Time{Time: created}, CreatedBy: "osbuildkit org.osbuild.oci-archive"}})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Created = "linux", o.Architecture, v1.Time{Time: created}
	c := o.Config
	cf.Config = v1.Config{Cmd: c.Cmd, Entrypoint: c.Entrypoint, Env: c.Env, User: c.User, Labels: c.Labels, WorkingDir: c.WorkingDir, StopSignal: c.StopSignal}
	if len(c.Env) == 0 {
		cf.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	}
	if len(c.ExposedPorts) > 0 {
		cf.Config.ExposedPorts = map[string]struct{}{}
		for _, p := range c.ExposedPorts {
			if !strings.Contains(p, "/") {
				p += "/tcp"
			}
			cf.Config.ExposedPorts[p] = struct{}{}
		}
	}
	if len(c.Volumes) > 0 {
		cf.Config.Volumes = map[string]struct{}{}
		for _, v := range c.Volumes {
			cf.Config.Volumes[v] = struct{}{}
		}
	}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return nil, err
	}
	if len(o.Annotations) > 0 {
		img = mutate.Annotations(img, o.Annotations).(v1.Image)
	}
	return img, nil
}
