#!/usr/bin/env bash
# Builds the frontend image with docker buildx bake and pushes it to the
# local registry as localhost:5000/osbuildkit/frontend:latest.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
eval "$("$top/hack/env.sh" print)"
export GOPROXY GOSUMDB
GOPROXY=$(go env GOPROXY)
GOSUMDB=$(go env GOSUMDB)
cd "$top"
docker buildx bake --builder "$BUILDX_BUILDER" --progress "${PROGRESS:-plain}" frontend >&2
echo "localhost:5000/osbuildkit/frontend:latest"
