package cli

import (
	"fmt"
	"strings"

	bkclient "github.com/moby/buildkit/client"
)

// parseCacheOptions reads buildx-style cache options:
// "type=registry,ref=REF,mode=max"; a bare value means a registry ref.
func parseCacheOptions(specs []string) ([]bkclient.CacheOptionsEntry, error) {
	var out []bkclient.CacheOptionsEntry
	for _, spec := range specs {
		e := bkclient.CacheOptionsEntry{Attrs: map[string]string{}}
		if !strings.Contains(spec, "=") {
			e.Type, e.Attrs["ref"] = "registry", spec
			out = append(out, e)
			continue
		}
		for _, field := range strings.Split(spec, ",") {
			k, v, ok := strings.Cut(field, "=")
			if !ok {
				return nil, fmt.Errorf("cache option %q: %q is not KEY=VALUE", spec, field)
			}
			if k == "type" {
				e.Type = v
			} else {
				e.Attrs[k] = v
			}
		}
		if e.Type == "" {
			return nil, fmt.Errorf("cache option %q has no type= (registry, local, inline, …)", spec)
		}
		out = append(out, e)
	}
	return out, nil
}
