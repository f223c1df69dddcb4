package localbuild

import (
	"errors"
	"net/http"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	bkclient "github.com/moby/buildkit/client"

	"github.com/osbuildkit/osbuildkit/artifact"
)

// cacheMissing says whether a registry cache export names a reference the
// registry does not have yet: an all-cached build exports its cache then
// (there is nothing to replace), where it otherwise keeps the registry's.
// It asks with the user's login (artifact.Login). A registry that refuses
// to say (401, 403: no login, or a wrong one) counts as not having it, so
// the export is tried and its failure says why; one that cannot be asked
// at all counts as having it.
func cacheMissing(exports []bkclient.CacheOptionsEntry) bool {
	for _, e := range exports {
		if e.Type != "registry" || e.Attrs["ref"] == "" {
			continue
		}
		ref, err := artifact.ParseReference(e.Attrs["ref"], e.Attrs["registry.insecure"] == "true")
		if err != nil {
			continue
		}
		_, err = remote.Head(ref, artifact.Login)
		var te *transport.Error
		if errors.As(err, &te) && (te.StatusCode == http.StatusNotFound || te.StatusCode == http.StatusUnauthorized || te.StatusCode == http.StatusForbidden) {
			return true
		}
	}
	return false
}
