package llb

import (
	_ "crypto/sha512" // registers sha384 and sha512 digests for osbuild checksums
	"errors"
	"fmt"

	bkllb "github.com/moby/buildkit/client/llb"
	digest "github.com/opencontainers/go-digest"

	"github.com/osbuildkit/osbuildkit/manifest"
	"github.com/osbuildkit/osbuildkit/stages"
)

// input returns the state an input provides: a pipeline's tree, or the
// source files it references, each at "/<checksum>".
func (c *compiler) input(st *manifest.Stage, in *manifest.Input) (bkllb.State, error) {
	if in == nil {
		return bkllb.Scratch(), &manifest.LocationError{Path: st.Path, Err: fmt.Errorf("missing input")}
	}
	if in.Origin == manifest.OriginPipeline {
		if len(in.References) != 1 {
			return bkllb.Scratch(), &manifest.LocationError{Path: in.Path.Key("references"), Err: fmt.Errorf("osbuildkit takes exactly one pipeline per input, not %d", len(in.References))}
		}
		name, _ := in.References[0].PipelineName()
		c.steps.notePipeline(name)
		tree, ok := c.trees[name]
		if !ok {
			return bkllb.Scratch(), fmt.Errorf("internal error: pipeline %q used before it was compiled", name)
		}
		return tree, nil
	}
	var parts []bkllb.State
	for _, r := range in.References {
		s, err := c.sourceFile(r.ID)
		if d, ok := c.result.Downloads[r.ID]; ok && err == nil {
			d.Package = lockedPackage(r)
			c.result.Downloads[r.ID] = d
		}
		var le *manifest.LocationError
		if errors.As(err, &le) {
			return bkllb.Scratch(), err // located at the source itself
		} else if err != nil {
			return bkllb.Scratch(), &manifest.LocationError{Path: in.Path.Key("references"), Err: err}
		}
		parts = append(parts, s)
	}
	switch len(parts) {
	case 0:
		return bkllb.Scratch(), nil
	case 1:
		return parts[0], nil
	}
	return bkllb.Merge(parts, bkllb.WithCustomNamef("[sources] %d files for input %s", len(parts), in.Name)), nil
}

// sourceFile is a state holding one source item at "/<checksum>".
func (c *compiler) sourceFile(sum string) (bkllb.State, error) {
	if item, ok := c.m.Sources.Curl[sum]; ok {
		dgst, err := digest.Parse(sum)
		if err != nil {
			return bkllb.Scratch(), fmt.Errorf("checksum %q: %w", sum, err)
		}
		st := bkllb.HTTP(item.URL,
			bkllb.Checksum(dgst),
			bkllb.Filename(sum),
			bkllb.Chmod(0o644),
			bkllb.WithCustomNamef("[sources] org.osbuild.curl %s", item.URL),
			bkllb.WithDescription(map[string]string{SourceKey: item.URL, SourceSumKey: sum}),
		)
		if c.result.Downloads == nil {
			c.result.Downloads = map[string]Download{}
		}
		c.result.Downloads[sum] = Download{URL: item.URL, State: st}
		return st, nil
	}
	if item, ok := c.m.Sources.Inline[sum]; ok {
		if item.Encoding != "base64" {
			return bkllb.Scratch(), &manifest.LocationError{Path: item.Path.Key("encoding"),
				Err: fmt.Errorf("encoding %q is not supported by osbuildkit; use base64", item.Encoding)}
		}
		return bkllb.Scratch().File(bkllb.Mkfile("/"+sum, 0o644, item.Data), bkllb.WithCustomNamef("[sources] org.osbuild.inline %s", shortSum(sum))), nil
	}
	return bkllb.Scratch(), fmt.Errorf("no source provides %s", sum)
}

func shortSum(sum string) string {
	if len(sum) > 19 {
		return sum[:19]
	}
	return sum
}

// lockedPackage names the Debian package a reference's metadata (written
// by osbuildkit lock) says it is; empty for other files.
func lockedPackage(r manifest.Reference) string {
	meta, _ := r.Options["metadata"].(map[string]any)
	name, _ := meta[stages.MetaPackage].(string)
	if name == "" {
		return ""
	}
	version, _ := meta[stages.MetaVersion].(string)
	arch, _ := meta[stages.MetaArch].(string)
	return fmt.Sprintf("%s %s (%s)", name, version, arch)
}
