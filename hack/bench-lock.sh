#!/usr/bin/env bash
# make bench-lock (and the end of make bench): locked builds of the
# reference image (images/debian-bookworm-qcow2.json with a source-epoch),
# on fresh BuildKit daemons of its own, every figure from this one run:
#
#   9a unlocked cold build on an empty builder (the baseline)
#   9b osbuildkit lock on an empty builder, then again on that warm builder
#   9c the locked image cold on an empty builder, and on a second one
#   9d whether the two locked builds' qcow2s are the same bytes, and which
#      files of their trees differ (with the source-epoch, SSH host keys
#      are made on first boot, so none should)
#
# Writes bench/results/locked.md.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
name=bench-lock
. "$top/hack/benchlib.sh"

ref=$work/ref-epoch.json
jq '.pipelines[0]["source-epoch"] = 1700000000' "$top/images/debian-bookworm-qcow2.json" >"$ref"
locked=$work/ref-epoch.lock.json
rm -rf "$work"/out*

e=$(daemon builder-e)
timed unlocked_cold "$e" --output-directory "$work/out-unlocked" --export os --export assembler "$ref"
drop "$work/builder-e"; rm -rf "$work/out-unlocked"
f=$(daemon builder-f)
cmd=lock timed lock_cold "$f" -o "$locked" "$ref"
cmd=lock timed lock_warm "$f" -o "$locked.again" "$ref"
cmp -s "$locked" "$locked.again" && same_lock=yes || same_lock=no
drop "$work/builder-f"
g=$(daemon builder-g)
timed locked_cold "$g" --output-directory "$work/out-locked-1" --export os --export assembler "$locked"
h=$(daemon builder-h)
timed locked_cold2 "$h" --output-directory "$work/out-locked-2" --export os --export assembler "$locked"

sum() { sha256sum "$1" | cut -c1-16; }
q1=$(ls "$work"/out-locked-1/assembler/*.qcow2) q2=$(ls "$work"/out-locked-2/assembler/*.qcow2)
ls -l "$q1" "$q2" >&2
if cmp -s "$q1" "$q2"; then same_disk="yes ($(sum "$q1"))"; else same_disk="no ($(sum "$q1") vs $(sum "$q2"))"; fi
# diff exits 1 when the trees differ: that is a finding, not a failure.
differ=$({ diff -rq --no-dereference "$work/out-locked-1/os" "$work/out-locked-2/os" 2>&1 || true; } |
	{ grep -v "character special file while" || true; } | sed -E 's#^Files [^ ]*/out-locked-1/os(/[^ ]*) and .*#\1#' | sort | tr '\n' ' ')

rm -rf "$work"/out-locked-*

drop "$work/builder-g"; drop "$work/builder-h"

ratio() { echo "scale=3; $1 / $2" | bc; }
cold=${secs[unlocked_cold]}
{
	echo "# Benchmark: locked builds of the reference image ($(date -u +%Y-%m-%d), $(nproc) cores)"
	echo
	echo "\`images/debian-bookworm-qcow2.json\` with \`\"source-epoch\": 1700000000\`; every figure from one run of \`hack/bench-lock.sh\`, each on fresh BuildKit daemons."
	echo
	echo "| measurement | seconds | ratio | target |"
	echo "|---|---|---|---|"
	echo "| 9a unlocked, cold, empty builder | $cold | 1.000 | — |"
	echo "| 9b lock, empty builder (resolves, and builds the locked debootstrap tree the apt stage resolves on) | ${secs[lock_cold]} | $(ratio "${secs[lock_cold]}" "$cold") of 9a | — |"
	echo "| 9b lock again, same builder (warm) | ${secs[lock_warm]} | — | ≤ 20 s |"
	echo "| 9c locked, cold, empty builder | ${secs[locked_cold]} | $(ratio "${secs[locked_cold]}" "$cold") of 9a | ≤ 1.0 of 9a |"
	echo "| 9c locked, cold, a second empty builder | ${secs[locked_cold2]} | $(ratio "${secs[locked_cold2]}" "$cold") of 9a | — |"
	echo
	echo "- The warm lock is the same file as the first: $same_lock."
	echo "- The two locked builds' qcow2s are the same bytes: $same_disk."
	echo "- Files of the two locked trees that differ: ${differ:-none}."
} >"$results/locked.md"
cat "$results/locked.md"
