#!/usr/bin/env bash
# Builds the pinned BuildKit, buildx, registry and syft binaries from the Go module
# proxy into $OSBUILDKIT_CACHE/bin, once; later runs reuse them.
set -euo pipefail

BUILDKIT_VERSION=v0.34.2
BUILDX_VERSION=v0.38.2
REGISTRY_VERSION=v3.1.2
# syft, the SBOM scanner, reads the SBOMs the tests make, as a scanner
# would, and catalogues the trees on its own to compare with them.
SYFT_VERSION=v1.57.1

cache=${OSBUILDKIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/osbuildkit}
bin=$cache/bin
mkdir -p "$bin"
log() { echo "tools: $*" >&2; }

have() { [ -x "$bin/$1" ] && [ -f "$bin/.$1.$2" ]; }
mark() { touch "$bin/.$1.$2"; }

if ! have buildkitd "$BUILDKIT_VERSION" || ! have buildctl "$BUILDKIT_VERSION"; then
	log "building buildkitd/buildctl $BUILDKIT_VERSION (takes minutes, once)"
	# buildkit's go.mod has exclude directives, so `go install pkg@v` is
	# refused: build inside a throwaway wrapper module instead.
	w=$cache/src/buildkit-$BUILDKIT_VERSION
	mkdir -p "$w"
	(
		cd "$w"
		[ -f go.mod ] || go mod init osbuildkit.local/buildkit-wrapper >/dev/null 2>&1
		cat >tools.go <<GO
//go:build tools

package tools

import (
	_ "github.com/moby/buildkit/cmd/buildctl"
	_ "github.com/moby/buildkit/cmd/buildkitd"
)
GO
		go get "github.com/moby/buildkit/cmd/buildkitd@$BUILDKIT_VERSION" "github.com/moby/buildkit/cmd/buildctl@$BUILDKIT_VERSION" >&2
		go mod tidy >&2
		ld="-X github.com/moby/buildkit/version.Version=$BUILDKIT_VERSION"
		go build -ldflags "$ld" -o "$bin/" github.com/moby/buildkit/cmd/buildkitd github.com/moby/buildkit/cmd/buildctl >&2
	)
	mark buildkitd "$BUILDKIT_VERSION"
	mark buildctl "$BUILDKIT_VERSION"
fi

if ! have docker-buildx "$BUILDX_VERSION"; then
	log "building docker-buildx $BUILDX_VERSION"
	GOBIN=$cache/gobin go install "github.com/docker/buildx/cmd/buildx@$BUILDX_VERSION" >&2
	install -m 0755 "$cache/gobin/buildx" "$bin/docker-buildx"
	mark docker-buildx "$BUILDX_VERSION"
fi

if ! have registry "$REGISTRY_VERSION"; then
	log "building registry $REGISTRY_VERSION"
	GOBIN=$cache/gobin go install "github.com/distribution/distribution/v3/cmd/registry@$REGISTRY_VERSION" >&2
	install -m 0755 "$cache/gobin/registry" "$bin/registry"
	mark registry "$REGISTRY_VERSION"
fi

if ! have syft "$SYFT_VERSION"; then
	log "building syft $SYFT_VERSION (takes minutes, once)"
	GOBIN=$cache/gobin go install "github.com/anchore/syft/cmd/syft@$SYFT_VERSION" >&2
	install -m 0755 "$cache/gobin/syft" "$bin/syft"
	mark syft "$SYFT_VERSION"
fi

# buildx is a docker CLI plugin; docker finds it here.
mkdir -p "$HOME/.docker/cli-plugins"
ln -sf "$bin/docker-buildx" "$HOME/.docker/cli-plugins/docker-buildx"
echo "$bin"
