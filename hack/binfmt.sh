#!/usr/bin/env bash
# Registers Debian's qemu-user-static handlers for the foreign
# architectures our images target (arm64), so buildkitd can run their
# binaries (maintainer scripts of a foreign-architecture bootstrap).
# Debian registers them with the F flag: the interpreter is opened now, so
# it also runs inside BuildKit's sandboxes. Idempotent; needs root.
set -euo pipefail
dir=/proc/sys/fs/binfmt_misc
log() { echo "binfmt: $*" >&2; }
sudo_=""
[ "$(id -u)" -eq 0 ] || sudo_=sudo
if [ ! -e "$dir/register" ] && ! $sudo_ mount -t binfmt_misc binfmt_misc "$dir" 2>/dev/null; then
	log "this kernel has no binfmt_misc, or it cannot be mounted here: foreign-architecture (arm64) steps cannot run on this machine."
	log "load it (modprobe binfmt_misc; mount -t binfmt_misc binfmt_misc $dir) or build those images on a node of that architecture (README, Architectures)."
	exit 0
fi
for arch in aarch64; do
	[ -e "$dir/qemu-$arch" ] && continue
	$sudo_ update-binfmts --enable "qemu-$arch" >/dev/null 2>&1 || $sudo_ update-binfmts --import "qemu-$arch" >&2
	[ -e "$dir/qemu-$arch" ] || log "could not register qemu-$arch"
done
