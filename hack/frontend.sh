#!/usr/bin/env bash
# Builds the frontend image with docker buildx bake and pushes it to
# $REGISTRY (default localhost:5000) as osbuildkit/frontend:$TAG (default
# latest). First it publishes the host buildroot, osbuildkit/buildroot:$TAG
# and :$TAG-bootstrap (`osbuildkit buildroot`), and bakes their digests into
# the frontend as its default buildroot; BUILDROOT=… uses those images
# instead, BUILDROOT=build bakes no default (the frontend then builds the
# buildroot from debian:bookworm). Prints the frontend's reference.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
eval "$("$top/hack/env.sh" print)"
export GOPROXY GOSUMDB REGISTRY TAG BUILDROOT
GOPROXY=$(go env GOPROXY)
GOSUMDB=$(go env GOSUMDB)
REGISTRY=${REGISTRY:-localhost:5000}
TAG=${TAG:-latest}
cd "$top"
[ -x bin/osbuildkit ] || make -s build >&2
if [ -z "${BUILDROOT:-}" ]; then
	BUILDROOT=$(bin/osbuildkit buildroot --progress "${PROGRESS:-plain}" "$REGISTRY/osbuildkit/buildroot:$TAG")
	echo "frontend: default buildroot $BUILDROOT" >&2
elif [ "$BUILDROOT" = build ]; then
	BUILDROOT=
fi
docker buildx bake --builder "$BUILDX_BUILDER" --progress "${PROGRESS:-plain}" frontend >&2
echo "$REGISTRY/osbuildkit/frontend:$TAG"
