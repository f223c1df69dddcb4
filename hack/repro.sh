#!/usr/bin/env bash
# make repro: are locked builds the same bytes on two builders? For each
# manifest below, with a source-epoch on every pipeline: lock it on an
# empty builder A, build its exports there and on another empty builder
# B, and compare every exported file. Writes bench/results/repro.md.
#
#   images/debian-bookworm-qcow2.json     the reference image (qcow2)
#   images/user-basic-tar.json            the users' tar example (.tar.gz)
#   integration/testdata/small-disk.json  a qcow2 disk and an OCI archive (its digest)
#   images/debian-bookworm-ostree.json    an OSTree commit (its checksum) and its deployment
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
name=repro
. "$top/hack/benchlib.sh"

# commit_of DIR: the commit checksum the exported repository's ref names.
commit_of() { find "$1/ostree-commit/repo/refs/heads" -type f | sort | head -1 | xargs -r cat | cut -c1-16; }
# oci_digest DIR: the digest of the OCI archive's image manifest.
oci_digest() { tar -xOf "$1"/oci/*.tar --no-anchored index.json | jq -r '.manifests[0].digest' | cut -c1-23; }

# compare A B: counts the files the same, differing, and in one only;
# sets $same $differ $only and $which (the first differing paths).
compare() {
	same=0 differ=0 only=0 which=""
	while read -r f; do
		if [ ! -e "$1/$f" ] || [ ! -e "$2/$f" ]; then
			only=$((only + 1)); [ "$only" -le 4 ] && which+="only in one: \`$f\` "
		elif cmp -s "$1/$f" "$2/$f"; then
			same=$((same + 1))
		else
			differ=$((differ + 1)); [ "$differ" -le 8 ] && which+="\`$f\` "
		fi
	done < <({ (cd "$1" && find . -type f -printf '%P\n'); (cd "$2" && find . -type f -printf '%P\n'); } | sort -u)
}

a=$(daemon repro-a)
b=$(daemon repro-b)
rows=()
all=("images/debian-bookworm-qcow2.json:" "images/user-basic-tar.json:" "integration/testdata/small-disk.json:disk oci" "images/debian-bookworm-ostree.json:ostree-commit image-tree")
for spec in "${all[@]}"; do
	m=${spec%%:*} exports=()
	# REPRO="a.json b.json" compares only those manifests.
	if [ -n "${REPRO:-}" ] && [[ " $REPRO " != *" $m "* ]]; then continue; fi
	for e in ${spec#*:}; do exports+=(--export "$e"); done
	name=$(basename "$m" .json)
	jq '(.pipelines // []) |= map(.["source-epoch"] = 1700000000) | if .pipeline then .pipeline["source-epoch"] = 1700000000 else . end' "$top/$m" >"$work/$name.json"
	cmd=lock timed "lock-$name" "$a" -o "$work/$name.lock.json" "$work/$name.json"
	rm -rf "$work/out-$name-a" "$work/out-$name-b"
	timed "$name-a" "$a" "${exports[@]}" --output-directory "$work/out-$name-a" "$work/$name.lock.json"
	timed "$name-b" "$b" "${exports[@]}" --output-directory "$work/out-$name-b" "$work/$name.lock.json"
	compare "$work/out-$name-a" "$work/out-$name-b"
	notes=""
	if [ -d "$work/out-$name-a/ostree-commit" ]; then
		notes+="OSTree commit $(commit_of "$work/out-$name-a") vs $(commit_of "$work/out-$name-b"). "
	fi
	if [ -d "$work/out-$name-a/oci" ]; then
		notes+="OCI image $(oci_digest "$work/out-$name-a") vs $(oci_digest "$work/out-$name-b"). "
	fi
	rows+=("| \`$m\` | ${spec#*:} | $same | $differ | $only | $notes$which |")
	rm -rf "$work/out-$name-a" "$work/out-$name-b"
done
{
	echo "# Locked builds on two builders ($(date -u +%Y-%m-%d), $(git -C "$top" rev-parse --short HEAD))"
	echo
	echo "Each manifest with \`\"source-epoch\": 1700000000\` on every pipeline, locked, built on two empty builders (\`hack/repro.sh\`); every exported file compared byte for byte."
	echo
	echo "| manifest | exports (none: the default) | files the same | files that differ | in one only | notes, and which differ |"
	echo "|---|---|---|---|---|---|"
	printf '%s\n' "${rows[@]}"
} >"$results/repro.md"
cat "$results/repro.md"
