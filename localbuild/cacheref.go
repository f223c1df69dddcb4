package localbuild

import (
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	bkclient "github.com/moby/buildkit/client"
)

// cacheMissing says whether a registry cache export names a reference the
// registry does not have yet: an all-cached build exports its cache then
// (there is nothing to replace), where it otherwise keeps the registry's.
// A registry that cannot be asked counts as having it.
func cacheMissing(exports []bkclient.CacheOptionsEntry) bool {
	for _, e := range exports {
		ref := e.Attrs["ref"]
		if e.Type != "registry" || ref == "" {
			continue
		}
		var opts []name.Option
		if e.Attrs["registry.insecure"] == "true" || strings.HasPrefix(ref, "localhost:") || strings.HasPrefix(ref, "127.") {
			opts = append(opts, name.Insecure)
		}
		r, err := name.ParseReference(ref, opts...)
		if err != nil {
			continue
		}
		if _, err := remote.Head(r); err != nil && isNotFound(err) {
			return true
		}
	}
	return false
}

// isNotFound is a registry's answer that a manifest does not exist.
func isNotFound(err error) bool {
	s := err.Error()
	return strings.Contains(s, "MANIFEST_UNKNOWN") || strings.Contains(s, "NAME_UNKNOWN") || strings.Contains(s, "404")
}
