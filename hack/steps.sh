#!/usr/bin/env bash
# hack/steps.sh LOG…: the steps of BuildKit plain-progress logs (a build's
# --progress plain output) as a markdown table, one column per log: each
# step's seconds from its first DONE line, "cached" for CACHED, in the
# order the steps first appear in the first log (a CLI build runs several
# solves, each numbering its steps from #1: a number means the step last
# named with it). make bench writes its breakdown
# with it.
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: hack/steps.sh LOG…" >&2; exit 2; }
for log in "$@"; do
	# name<TAB>time of every vertex, in order of appearance
	awk '
		/^#[0-9]+ (\[|exporting |importing |copying [0-9]+ files? \()/ {
			id = $1; nm = substr($0, length(id) + 2)
			if (length(nm) > 100) nm = substr(nm, 1, 99) "…"
			cur[id] = nm
			if (!(nm in seen)) { seen[nm] = 1; order[++n] = nm }
		}
		/^#[0-9]+ DONE / { nm = cur[$1]; t = $3; sub("s$", "", t); if (nm != "" && !(nm in done)) done[nm] = t }
		/^#[0-9]+ CACHED/ { nm = cur[$1]; if (nm != "" && !(nm in done)) done[nm] = "cached" }
		END { for (i = 1; i <= n; i++) if (order[i] in done) print order[i] "\t" done[order[i]] }
	' "$log" >"$log.steps"
done
{
	printf '| step |'; for log in "$@"; do printf ' %s |' "$(basename "$log" .log)"; done; echo
	printf '|---|'; for _ in "$@"; do printf -- '---|'; done; echo
	cut -f1 "$1.steps" | awk '!seen[$0]++' >"$1.names"
	for log in "${@:2}"; do cut -f1 "$log.steps" | awk '!seen[$0]++' | grep -vxF -f "$1.names" || true; done >>"$1.names"
	while IFS= read -r step; do
		printf '| %s |' "${step//|/\\|}"
		for log in "$@"; do
			t=$(awk -F'\t' -v s="$step" '$1 == s {print $2; exit}' "$log.steps")
			printf ' %s |' "${t:-—}"
		done
		echo
	done <"$1.names"
}
rm -f "$1.names"; for log in "$@"; do rm -f "$log.steps"; done
