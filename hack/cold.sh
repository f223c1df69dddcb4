#!/usr/bin/env bash
# hack/cold.sh CLI TAG [MANIFEST]: one cold build (of the reference image by
# default) with the osbuildkit binary CLI on a fresh, empty buildkitd, the
# daemon's start included; for before/after figures of a change on the
# build path:
#   farm-bench -n 3 --warmup 0 --timeout 2400 --vs "hack/cold.sh OLD old" -- hack/cold.sh NEW new
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
name=cold-$2
. "$top/hack/benchlib.sh"
trap - EXIT
cli=$1
manifest=${3:-$top/images/debian-bookworm-qcow2.json}
addr=$(daemon "cold-$2")
out=$(mktemp -d)
ok=0
"$cli" build --progress plain --addr "$addr" --output-directory "$out" "$manifest" >"$work/cold-$2.log" 2>&1 || ok=$?
drop "$work/cold-$2"
rm -rf "$out" "$work/cold-$2/root"
exit "$ok"
