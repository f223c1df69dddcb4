package stages

import "github.com/osbuildkit/osbuildkit/manifest"

// Location is a parsed copy URL (see manifest.ParseLocation).
type Location = manifest.Location

// ParseLocation parses a copy URL; manifests are checked with the same
// parser at validation.
var ParseLocation = manifest.ParseLocation
