// Command seedimage pushes root filesystem tarballs as a container image, so
// the test environment's registry can serve the base images (debian, golang)
// that no registry reachable from our machines provides.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	var layers, envs, tags list
	var cmd, workdir string
	flag.Var(&layers, "layer", "a tarball to add as a layer (repeatable, in order)")
	flag.Var(&envs, "env", "KEY=VALUE for the image config (repeatable)")
	flag.Var(&tags, "tag", "image reference to push to (repeatable)")
	flag.StringVar(&cmd, "cmd", "", "the image's command")
	flag.StringVar(&workdir, "workdir", "", "the image's working directory")
	flag.Parse()
	if err := run(layers, envs, tags, cmd, workdir); err != nil {
		fmt.Fprintf(os.Stderr, "seedimage: %v\n", err)
		os.Exit(1)
	}
}

func run(layers, envs, tags []string, cmd, workdir string) error {
	if len(layers) == 0 || len(tags) == 0 {
		return fmt.Errorf("need at least one --layer and one --tag")
	}
	img := empty.Image
	for _, l := range layers {
		layer, err := tarball.LayerFromFile(l)
		if err != nil {
			return fmt.Errorf("reading layer %s: %w", l, err)
		}
		if img, err = mutate.AppendLayers(img, layer); err != nil {
			return err
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = "amd64", "linux"
	cf.Config.Env = envs
	if cmd != "" {
		cf.Config.Cmd = []string{cmd}
	}
	cf.Config.WorkingDir = workdir
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return err
	}
	for _, t := range tags {
		ref, err := name.ParseReference(t, name.Insecure)
		if err != nil {
			return err
		}
		if err := remote.Write(ref, img); err != nil {
			return fmt.Errorf("pushing %s: %w", t, err)
		}
		d, _ := img.Digest()
		fmt.Printf("%s@%s\n", t, d)
	}
	return nil
}
