#!/usr/bin/env bash
# hack/steps.sh LOG…: the steps of BuildKit plain-progress logs (a build's
# --progress plain output) as a markdown table, one column per log, rows in
# the order the steps first appear. make bench writes its breakdown with it.
# hack/steps.sh --tsv LOG: the same for one log as "name<TAB>seconds" lines.
#
# A step's seconds are its longest DONE: a CLI build runs several solves,
# each numbering its steps from #1 (a number means the step last named
# with it), and a step may appear in several (the image pull, then 0.0 s
# in the export's solve) or under one name twice. "cached" when BuildKit
# only took it from its cache.
set -euo pipefail
usage() { echo "usage: hack/steps.sh LOG… | hack/steps.sh --tsv LOG" >&2; exit 2; }

# times LOG prints name<TAB>seconds (or cached) of every step of LOG.
times() {
	awk '
		/^#[0-9]+ (\[|exporting |importing |copying [0-9]+ files? \()/ {
			id = $1; nm = substr($0, length(id) + 2)
			if (length(nm) > 100) nm = substr(nm, 1, 99) "…"
			cur[id] = nm
			if (!(nm in seen)) { seen[nm] = 1; order[++n] = nm }
		}
		/^#[0-9]+ DONE / {
			nm = cur[$1]; t = $3; sub("s$", "", t)
			if (nm != "" && (!(nm in done) || t + 0 > done[nm] + 0)) done[nm] = t
		}
		/^#[0-9]+ CACHED/ { nm = cur[$1]; if (nm != "" && !(nm in done)) cached[nm] = 1 }
		END {
			for (i = 1; i <= n; i++) {
				nm = order[i]
				if (nm in done) print nm "\t" done[nm]; else if (nm in cached) print nm "\tcached"
			}
		}
	' "$1"
}

if [ "${1:-}" = --tsv ]; then
	[ $# -eq 2 ] || usage
	times "$2"
	exit 0
fi
[ $# -gt 0 ] || usage
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
i=0
for log in "$@"; do
	times "$log" >"$tmp/$i"
	i=$((i + 1))
done
printf '| step |'; for log in "$@"; do printf ' %s |' "$(basename "$log" .log)"; done; echo
printf '|---|'; for _ in "$@"; do printf -- '---|'; done; echo
for ((j = 0; j < i; j++)); do cut -f1 "$tmp/$j"; done | awk '!seen[$0]++' | while IFS= read -r step; do
	printf '| %s |' "${step//|/\\|}"
	for ((j = 0; j < i; j++)); do
		t=$(awk -F'\t' -v s="$step" '$1 == s {print $2; exit}' "$tmp/$j")
		printf ' %s |' "${t:-—}"
	done
	echo
done
