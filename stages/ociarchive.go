package stages

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
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

// org.osbuild.oci-archive: an OCI image delivered as an OCI archive (a tar
// of an OCI image layout) named filename, as osbuild makes it: one layer
// per input tree, "base" then "layer.N" in the order of their names, the
// config with osbuild's fields (Cmd, default ["sh"], Entrypoint, Env,
// default PATH, ExposedPorts, User, Labels, WorkingDir, Volumes; osbuild's
// schema spells StopSignal "StopSiganl" and its stage ignores it, so does
// this one), "variant" and the manifest's annotations. With source-epoch,
// the image's times are set to it. The v1 assembler of the same name takes
// the tree as its input.
func init() { Define(OCIArchive(manifest.KindStage, "base")) }

// OCIArchive is the org.osbuild.oci-archive stage or assembler, whose base
// tree is the named input.
func OCIArchive(kind manifest.Kind, input string) Definition[OCIOptions] {
	return Definition[OCIOptions]{
		Type: "org.osbuild.oci-archive",
		Kind: kind,
		Plan: func(c *Context, o *OCIOptions) (*Plan, error) {
			if err := c.RequireInput(input); err != nil {
				return nil, err
			}
			return outputPlan(c, o.Filename)
		},
		Run: runOCIArchive,
	}
}

// OCIOptions are org.osbuild.oci-archive's options.
type OCIOptions struct {
	Filename     string            `json:"filename"`
	Architecture string            `json:"architecture"`
	Variant      string            `json:"variant"`
	Config       ociConfig         `json:"config"`
	Annotations  map[string]string `json:"annotations"`
}

type ociConfig struct {
	Cmd          []string       `json:"Cmd"`
	Entrypoint   []string       `json:"Entrypoint"`
	Env          []string       `json:"Env"`
	ExposedPorts []string       `json:"ExposedPorts"`
	User         string         `json:"User"`
	Labels       map[string]any `json:"Labels"`
	WorkingDir   string         `json:"WorkingDir"`
	// StopSiganl is osbuild's spelling; osbuild's stage ignores it.
	StopSiganl string   `json:"StopSiganl"`
	Volumes    []string `json:"Volumes"`
}

func runOCIArchive(rt *Runtime, o *OCIOptions) error {
	out, err := rt.Path("/" + o.Filename)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp(filepath.Dir(out), ".oci-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	var layers []string
	for _, name := range slices.Sorted(maps.Keys(rt.Inputs)) {
		layerTar := filepath.Join(work, name+".tar")
		// A layer keeps owners by number, holes, ACLs and extended
		// attributes, as a container engine unpacks them.
		args := append([]string{"--create", "--format=gnu", "--sort=name", "--numeric-owner", "--sparse", "--acls", "--xattrs", "--xattrs-include=*"},
			epochArgs("gnu", true, rt.SourceEpoch)...)
		args = append(args, "--file", layerTar, "--directory", rt.Inputs[name].Path, ".")
		if err := rt.Run("tar", args...); err != nil {
			return err
		}
		layers = append(layers, layerTar)
	}
	img, err := ociImage(layers, o, rt.SourceEpoch)
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

func ociImage(layerTars []string, o *OCIOptions, epoch *int64) (v1.Image, error) {
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	created := time.Unix(0, 0).UTC()
	if epoch != nil {
		created = time.Unix(*epoch, 0).UTC()
	}
	for _, layerTar := range layerTars {
		layer, err := tarball.LayerFromFile(layerTar, tarball.WithMediaType(types.OCILayer))
		if err != nil {
			return nil, err
		}
		img, err = mutate.Append(img, mutate.Addendum{Layer: layer, History: v1.History{Created: v1.Time{Time: created}, CreatedBy: "osbuildkit org.osbuild.oci-archive"}})
		if err != nil {
			return nil, err
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant, cf.Created = "linux", o.Architecture, o.Variant, v1.Time{Time: created}
	cf.Config = o.Config.image()
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return nil, err
	}
	if len(o.Annotations) > 0 {
		img = mutate.Annotations(img, o.Annotations).(v1.Image)
	}
	return img, nil
}

// image is the image config, with osbuild's defaults.
func (c ociConfig) image() v1.Config {
	ic := v1.Config{Cmd: c.Cmd, Entrypoint: c.Entrypoint, Env: c.Env, User: c.User, WorkingDir: c.WorkingDir}
	if c.Cmd == nil {
		ic.Cmd = []string{"sh"}
	}
	if len(c.Env) == 0 {
		ic.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	}
	if len(c.Labels) > 0 {
		ic.Labels = map[string]string{}
		for k, v := range c.Labels {
			ic.Labels[k] = fmt.Sprint(v)
		}
	}
	if len(c.ExposedPorts) > 0 {
		ic.ExposedPorts = map[string]struct{}{}
		for _, p := range c.ExposedPorts {
			if !strings.Contains(p, "/") {
				p += "/tcp"
			}
			ic.ExposedPorts[p] = struct{}{}
		}
	}
	if len(c.Volumes) > 0 {
		ic.Volumes = map[string]struct{}{}
		for _, v := range c.Volumes {
			ic.Volumes[v] = struct{}{}
		}
	}
	return ic
}
