#!/usr/bin/env bash
# Runs staticcheck, installing the pinned version into the tool cache once.
set -euo pipefail
VERSION=v0.8.2
cache=${OSBUILDKIT_CACHE:-$HOME/.cache/osbuildkit}
bin=$cache/bin/staticcheck-$VERSION
if [ ! -x "$bin" ]; then
	mkdir -p "$cache/bin"
	GOBIN=$cache/gobin go install "honnef.co/go/tools/cmd/staticcheck@$VERSION" >&2
	mv "$cache/gobin/staticcheck" "$bin"
fi
exec "$bin" ./...
