// Package frontend is osbuildkit's BuildKit frontend: Build reads the
// manifest through dockerui (so `docker buildx build -f manifest.json` and
// buildctl's gateway.v0 work), parses the frontend options once into a
// Config, answers subrequests (--call targets, outline), compiles the
// manifest with package llb and solves it. The osbuildkit CLI runs the same
// code in-process through BuildManifest.
package frontend
