// Package artifact pushes a disk image file to a registry as an OCI
// artifact (artifactType application/vnd.osbuildkit.disk.<format>), with
// go-containerregistry: BuildKit's exporters cannot set an artifactType.
package artifact
