#!/usr/bin/env bash
# hack/cold.sh CLI TAG [MANIFEST [BUILD-FLAG…]]: one build (of the reference
# image by default) with the osbuildkit binary CLI on a fresh, empty
# buildkitd, the daemon's start included; for before/after figures of a
# change on the build path:
#   farm-bench -n 3 --warmup 0 --timeout 2400 --vs "hack/cold.sh OLD old" -- hack/cold.sh NEW new
# With --cache-from type=registry,ref=REF (REF exported by that binary with
# mode=max), it times a second builder instead.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 CLI TAG [MANIFEST [BUILD-FLAG…]]" >&2; exit 2; }
top=$(cd "$(dirname "$0")/.." && pwd)
name=cold-$2
. "$top/hack/benchlib.sh"
trap - EXIT
cli=$1 tag=$2
manifest=${3:-$top/images/debian-bookworm-qcow2.json}
shift $(($# < 3 ? $# : 3))
addr=$(daemon "cold-$tag")
out=$(mktemp -d)
ok=0
"$cli" build --progress plain --addr "$addr" --output-directory "$out" "$@" "$manifest" >"$work/cold-$tag.log" 2>&1 || ok=$?
drop "$work/cold-$tag"
rm -rf "$out" "$work/cold-$tag/root"
exit "$ok"
