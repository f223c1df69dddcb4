# Shared by make bench's scripts (sourced after setting $top and $name):
# the environment, where things are, fresh daemons, timed CLI runs.
eval "$("$top/hack/env.sh" print)"
bin=$OSBUILDKIT_CACHE/bin
work=$top/bench/_work
results=$top/bench/results
mkdir -p "$work" "$results"
cli=$top/bin/osbuildkit
log() { echo "$name: $*" >&2; }

# drop DIR stops the daemon of DIR and drops its state (its log stays).
# Daemons are started inside $(…), so their PIDs are read from their files.
drop() {
	local p
	[ -f "$1/pid" ] || return 0
	p=$(cat "$1/pid")
	kill "$p" 2>/dev/null || true
	for _ in $(seq 150); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
	kill -9 "$p" 2>/dev/null || true
	rm -f "$1/pid"
	rm -rf "$1/root"
}

# cleanup stops the bench's daemons and drops their state.
cleanup() {
	local f
	for f in "$work"/*/pid; do
		drop "$(dirname "$f")"
	done
	# The outputs and the floor's tree are gigabytes on a shared disk.
	rm -rf "$work"/out* "$work/floor-tree" "$work/floor-out"
}

# daemon NAME starts a buildkitd with empty state; prints its address.
# A root left by a daemon that was killed mid-build may still have
# mounts: they are detached first, and a root that cannot be removed stops
# the bench, for a daemon on it would not start empty.
daemon() {
	local d=$work/$1 m
	for m in $(awk -v d="$d/" 'index($2, d) == 1 {print $2}' /proc/self/mounts | sort -r); do
		umount -l "$m" || true
	done
	rm -rf "$d" || { log "cannot remove $d: a daemon on it would not start empty"; return 1; }
	mkdir -p "$d"
	sed -e "s#^root = .*#root = \"$d/root\"#" -e "s#unix://[^\"]*buildkitd.sock#unix://$d/buildkitd.sock#" \
		"$OSBUILDKIT_CACHE/state/buildkitd.toml" >"$d/buildkitd.toml"
	nohup "$bin/buildkitd" --config "$d/buildkitd.toml" >"$d/log" 2>&1 &
	echo $! >"$d/pid"
	for _ in $(seq 100); do "$bin/buildctl" --addr "unix://$d/buildkitd.sock" debug workers >/dev/null 2>&1 && break; sleep 0.2; done
	echo "unix://$d/buildkitd.sock"
}

# measure LABEL CMD… runs CMD, records its seconds and peak RSS.
declare -A secs rss
measure() {
	local label=$1; shift
	local start end
	# Write back what the previous measurement left dirty (a cold build
	# leaves gigabytes), so it is not charged to this one.
	sync
	start=$(date +%s.%N)
	/usr/bin/time -f %M -o "$work/$label.rss" "$@" >"$work/$label.log" 2>&1 ||
		{ log "$label failed, see $work/$label.log"; tail -20 "$work/$label.log" >&2; exit 1; }
	end=$(date +%s.%N)
	secs[$label]=$(echo "$end - $start" | bc)
	rss[$label]=$(tail -1 "$work/$label.rss")
	log "$label: ${secs[$label]} s"
}

# median3 LABEL takes the median of the measurements LABEL1..LABEL3 as
# LABEL's (its seconds, peak RSS and log).
median3() {
	local m
	m=$(for i in 1 2 3; do echo "${secs[$1$i]} $i"; done | sort -n | sed -n 2p | cut -d' ' -f2)
	secs[$1]=${secs[$1$m]}
	rss[$1]=${rss[$1$m]}
	cp "$work/$1$m.log" "$work/$1.log"
	log "$1: ${secs[$1]} s (the median of ${secs[${1}1]}, ${secs[${1}2]}, ${secs[${1}3]})"
}

# timed LABEL ADDR ARGS… measures a CLI build (or the command $cmd names).
timed() {
	local label=$1 addr=$2; shift 2
	measure "$label" "$cli" "${cmd:-build}" --progress plain --addr "$addr" "$@"
}

trap cleanup EXIT
