// Package integration tests osbuildkit against real parts: the buildkitd,
// registry and buildx builder that `make env` starts, real Debian packages
// and qemu. Run it with `make test` (or `make integration` once the
// environment is up); the tests carry the "integration" build tag.
package integration
