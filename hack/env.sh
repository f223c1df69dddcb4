#!/usr/bin/env bash
# The test and demo environment: a local registry (the mirror for docker.io,
# seeded with the base images), buildkitd and a buildx builder for it.
#
#   hack/env.sh up     start what is not running (idempotent); print exports
#   hack/env.sh print  print the exports only
#   hack/env.sh down   stop what `up` started, by recorded PID
#
# `eval "$(make -s env)"` puts buildctl and docker buildx on PATH and points
# them at the daemon.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${OSBUILDKIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/osbuildkit}
state=$cache/state
bin=$cache/bin
registry_addr=127.0.0.1:5000
sock=$state/buildkitd.sock
builder=osbuildkit
log() { echo "env: $*" >&2; }

print_exports() {
	echo "export BUILDKIT_HOST=unix://$sock"
	echo "export PATH=$bin:$top/bin:\$PATH"
	echo "export BUILDX_BUILDER=$builder"
	echo "export OSBUILDKIT_REGISTRY=$registry_addr"
	echo "export OSBUILDKIT_CACHE=$cache"
}

running() { [ -f "$state/$1.pid" ] && kill -0 "$(cat "$state/$1.pid")" 2>/dev/null; }

wait_for() { # what, command...
	local what=$1; shift
	for _ in $(seq 1 100); do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 0.2
	done
	log "$what did not come up; see $state/*.log"
	return 1
}

start_registry() {
	running registry && return 0
	mkdir -p "$state/registry"
	cat >"$state/registry.yml" <<YML
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: $state/registry}
  delete: {enabled: true}
http: {addr: $registry_addr}
YML
	log "starting the registry on $registry_addr"
	OTEL_TRACES_EXPORTER=none nohup "$bin/registry" serve "$state/registry.yml" >"$state/registry.log" 2>&1 &
	echo $! >"$state/registry.pid"
	wait_for registry curl -sf "http://$registry_addr/v2/"
}

start_buildkitd() {
	running buildkitd && return 0
	mkdir -p "$state/buildkitd"
	cat >"$state/buildkitd.toml" <<TOML
root = "$state/buildkitd"
insecure-entitlements = ["security.insecure"]
[grpc]
  address = ["unix://$sock"]
[worker.oci]
  enabled = true
  snapshotter = "overlayfs"
  gc = true
  # Keep up to 40 GB of cache, but never leave the disk under 10% free
  # (the tests write large images beside the cache).
  reservedSpace = "5GB"
  maxUsedSpace = "40GB"
  minFreeSpace = "10%"
[worker.containerd]
  enabled = false
[registry."docker.io"]
  mirrors = ["$registry_addr"]
[registry."$registry_addr"]
  http = true
  insecure = true
[registry."localhost:5000"]
  http = true
  insecure = true
TOML
	log "starting buildkitd ($sock)"
	nohup "$bin/buildkitd" --config "$state/buildkitd.toml" --allow-insecure-entitlement security.insecure >"$state/buildkitd.log" 2>&1 &
	echo $! >"$state/buildkitd.pid"
	wait_for buildkitd "$bin/buildctl" --addr "unix://$sock" debug workers
}

have_image() { # repo tag
	curl -sf -o /dev/null -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
		"http://$registry_addr/v2/$1/manifests/$2"
}

# apt_sources prints the machine's own Debian bookworm sources (from apt's
# configuration), so no mirror host is written into this repository.
apt_sources() {
	apt-get indextargets --format '$(REPO_URI) $(CODENAME) $(COMPONENT)' 'Created-By: Packages' |
		awk '$2 ~ /^bookworm/ && $3 == "main" {print "deb " $1 " " $2 " main"}' | sort -u
}

# Site CA certificates (a TLS-inspecting proxy, say) go into the seeded
# images so builds can fetch over https, as a site's own base images would.
site_ca_hooks() {
	local certs=(/usr/local/share/ca-certificates/*.crt)
	[ -e "${certs[0]}" ] || return 0
	echo "--customize-hook=mkdir -p \"\$1/usr/local/share/ca-certificates\" && cp ${certs[*]} \"\$1/usr/local/share/ca-certificates/\""
}

seed_images() {
	local sources=()
	mapfile -t sources < <(apt_sources)
	[ ${#sources[@]} -gt 0 ] || { log "apt has no bookworm sources configured"; return 1; }
	local hooks=()
	mapfile -t hooks < <(site_ca_hooks)
	local work=$cache/seed
	mkdir -p "$work"
	local seedimage=$work/seedimage
	(cd "$top" && go build -o "$seedimage" ./hack/seedimage)
	if ! have_image library/debian bookworm; then
		log "seeding docker.io/library/debian:bookworm (mmdebstrap minbase)"
		rm -f "$work/debian.tar"
		SOURCE_DATE_EPOCH=1700000000 mmdebstrap --quiet --variant=minbase "${hooks[@]}" bookworm "$work/debian.tar" "${sources[@]}"
		"$seedimage" --layer "$work/debian.tar" --cmd bash \
			--env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			--tag "$registry_addr/library/debian:bookworm" --tag "$registry_addr/library/debian:12" >&2
	fi
	local gover
	gover=$(go env GOVERSION | sed 's/^go//')
	local gominor=${gover%.*}
	if ! have_image library/golang "$gominor-bookworm"; then
		log "seeding docker.io/library/golang:$gominor-bookworm (debian + this machine's Go $gover)"
		rm -f "$work/golang-base.tar" "$work/go.tar"
		SOURCE_DATE_EPOCH=1700000000 mmdebstrap --quiet --variant=minbase --include=ca-certificates,git,netbase \
			"${hooks[@]}" --customize-hook='chroot "$1" update-ca-certificates >/dev/null' \
			bookworm "$work/golang-base.tar" "${sources[@]}"
		tar -C "$(dirname "$(go env GOROOT)")" --transform 's,^[^/]*,usr/local/go,' -cf "$work/go.tar" "$(basename "$(go env GOROOT)")"
		"$seedimage" --layer "$work/golang-base.tar" --layer "$work/go.tar" --cmd bash --workdir /go \
			--env PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			--env GOLANG_VERSION="$gover" --env GOPATH=/go --env GOTOOLCHAIN=local \
			--tag "$registry_addr/library/golang:$gominor-bookworm" --tag "$registry_addr/library/golang:$gominor" >&2
	fi
}

create_builder() {
	# A builder of that name pointing at another daemon (another cache
	# directory) is replaced.
	if docker buildx inspect "$builder" 2>/dev/null | grep -q "unix://$sock"; then
		return 0
	fi
	docker buildx rm "$builder" >/dev/null 2>&1 || true
	log "creating the buildx builder $builder"
	docker buildx create --name "$builder" --driver remote "unix://$sock" >/dev/null
}

# free_gb is the space left, in GB, on the filesystem holding $1.
free_gb() { df -P -BG "$1" | awk 'NR == 2 { sub("G", "", $4); print $4 }'; }

# clear_registry_scratch removes what tests and benchmarks pushed to the
# local registry (each run pushes under new tags, so on a machine that
# keeps its cache the registry only grows): every repository but the
# seeded library/ ones, then the blobs nothing references any more. The
# registry is stopped meanwhile, as its garbage collector requires.
clear_registry_scratch() {
	local repos=$state/registry/docker/registry/v2/repositories r scratch=()
	[ -d "$repos" ] || return 0
	for r in "$repos"/*; do
		[ -d "$r" ] && [ "${r##*/}" != library ] && scratch+=("$r")
	done
	[ ${#scratch[@]} -gt 0 ] || return 0
	log "removing what tests pushed to the local registry ($(du -sh "$state/registry" 2>/dev/null | cut -f1) in all)"
	stop registry
	rm -rf "${scratch[@]}"
	if ! "$bin/registry" garbage-collect --delete-untagged "$state/registry.yml" >"$state/registry-gc.log" 2>&1; then
		log "warning: the registry's garbage collection failed (see $state/registry-gc.log)"
	fi
	start_registry
}

# ensure_space (`env.sh space`, which `make test` runs once before the
# tests, never while one runs) makes room for the tests (their disk images,
# exports and the cache they build come to about 25 GB) before BuildKit's
# own GC would:
# when the cache's filesystem has less than $OSBUILDKIT_MIN_FREE_GB (30)
# free, what tests pushed to the local registry is removed, then the
# cache is pruned to what fits, and a disk that is still too
# full is named before the tests fail on it one by one.
ensure_space() {
	local want=${OSBUILDKIT_MIN_FREE_GB:-30} free
	free=$(free_gb "$state")
	[ "$free" -ge "$want" ] && return 0
	clear_registry_scratch
	free=$(free_gb "$state")
	[ "$free" -ge "$want" ] && return 0
	log "only ${free} GB free on $(df -P "$state" | awk 'NR == 2 { print $6 }'); pruning BuildKit's cache"
	local cache keep
	# buildkitd's own collector may be deleting files while du walks them:
	# what du could read is enough to size the prune.
	cache=$(du -s -BG "$state/buildkitd" 2>/dev/null | awk '{ sub("G", "", $1); print $1 }') || true
	keep=$((${cache:-0} - (want - free)))
	if ! "$bin/buildctl" --addr "unix://$sock" prune --keep-storage $(((keep > 0 ? keep : 0) * 1000)) >/dev/null; then
		log "warning: pruning BuildKit's cache failed (see above); going on with ${free} GB free"
	fi
	free=$(free_gb "$state")
	[ "$free" -ge "$want" ] || log "warning: only ${free} GB free after pruning; the tests need about $want GB and fail with 'no space left on device' without it"
}

up() {
	mkdir -p "$state"
	"$top/hack/host-packages.sh"
	"$top/hack/binfmt.sh"
	"$top/hack/tools.sh" >/dev/null
	export PATH=$bin:$PATH
	start_registry
	start_buildkitd
	seed_images
	create_builder
	print_exports
}

stop() { # service
	if running "$1"; then
		local pid
		pid=$(cat "$state/$1.pid")
		log "stopping $1 ($pid)"
		kill "$pid"
		for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -f "$state/$1.pid"
}

down() {
	stop buildkitd
	stop registry
}

case "${1:-up}" in
up) up ;;
space) ensure_space ;;
print) print_exports ;;
down) down ;;
*) echo "usage: $0 up|space|print|down" >&2; exit 2 ;;
esac
