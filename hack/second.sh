#!/usr/bin/env bash
# hack/second.sh CLI TAG REF [MANIFEST]: one build (of the reference image
# by default) with the osbuildkit binary CLI on a fresh, empty buildkitd
# from the registry cache REF, the daemon's start included; for
# before/after figures of a second builder (REF exported by each binary
# with --cache-to type=registry,ref=REF,mode=max,compression=zstd):
#   farm-bench -n 3 --warmup 0 --vs "hack/second.sh OLD old REF_OLD" -- hack/second.sh NEW new REF_NEW
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 CLI TAG REF [MANIFEST]" >&2; exit 2; }
top=$(cd "$(dirname "$0")/.." && pwd)
name=second-$2
. "$top/hack/benchlib.sh"
trap - EXIT
manifest=${4:-$top/images/debian-bookworm-qcow2.json}
addr=$(daemon "second-$2")
out=$(mktemp -d)
ok=0
"$1" build --progress plain --addr "$addr" --output-directory "$out" --cache-from "type=registry,ref=$3" "$manifest" >"$work/second-$2.log" 2>&1 || ok=$?
drop "$work/second-$2"
rm -rf "$out" "$work/second-$2/root"
exit "$ok"
