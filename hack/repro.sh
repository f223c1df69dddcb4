#!/usr/bin/env bash
# make repro: are locked builds the same bytes on two builders? For each
# manifest below, with a source-epoch on every pipeline: lock it on an
# empty builder A, build it there and on another empty builder B, and
# compare every exported file. Writes bench/results/repro.md.
#
#   images/user-basic-tar.json         the users' tar example (.tar.gz)
#   integration/testdata/small-disk.json  a raw disk and an OCI archive
#   images/debian-bookworm-ostree.json an OSTree repository (commit checksum)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
name=repro
. "$top/hack/benchlib.sh"

# ref_of DIR: the first commit checksum the exported OSTree repository's
# refs name.
ref_of() { find "$1/ostree-commit/repo/refs/heads" -type f | sort | head -1 | xargs cat | cut -c1-16; }

a=$(daemon repro-a)
b=$(daemon repro-b)
rows=()
for m in images/user-basic-tar.json integration/testdata/small-disk.json images/debian-bookworm-ostree.json; do
	name=$(basename "$m" .json)
	jq '.pipelines |= map(.["source-epoch"] = 1700000000)' "$top/$m" >"$work/$name.json"
	cmd=lock timed "lock-$name" "$a" -o "$work/$name.lock.json" "$work/$name.json"
	rm -rf "$work/out-$name-a" "$work/out-$name-b"
	timed "$name-a" "$a" --output-directory "$work/out-$name-a" "$work/$name.lock.json"
	timed "$name-b" "$b" --output-directory "$work/out-$name-b" "$work/$name.lock.json"
	same=() differ=()
	while read -r f; do
		if cmp -s "$work/out-$name-a/$f" "$work/out-$name-b/$f"; then same+=("$f"); else differ+=("$f"); fi
	done < <(cd "$work/out-$name-a" && find . -type f -printf '%P\n' | sort)
	commit=""
	if [ -d "$work/out-$name-a/ostree-commit/repo" ]; then
		commit=" OSTree commits: $(ref_of "$work/out-$name-a") vs $(ref_of "$work/out-$name-b")."
	fi
	rows+=("| \`$m\` | ${#same[@]} | ${#differ[@]} | $(printf '%s ' "${differ[@]:0:12}")${commit} |")
	rm -rf "$work/out-$name-a" "$work/out-$name-b"
done
{
	echo "# Locked builds on two builders ($(date -u +%Y-%m-%d))"
	echo
	echo "Each manifest with \`\"source-epoch\": 1700000000\` on every pipeline, locked, built on two empty builders (\`hack/repro.sh\`); every exported file compared byte for byte."
	echo
	echo "| manifest | files the same | files that differ | which |"
	echo "|---|---|---|---|"
	printf '%s\n' "${rows[@]}"
} >"$results/repro.md"
cat "$results/repro.md"
