#!/usr/bin/env bash
# Installs the host packages the environment and the tests need, from
# Debian's apt (its own proxy configuration applies). Idempotent.
set -euo pipefail
pkgs=(
	runc debootstrap mmdebstrap ca-certificates curl jq
	qemu-utils qemu-system-x86 ovmf seabios qemu-system-arm qemu-efi-aarch64
	e2fsprogs dosfstools mtools fdisk gdisk xfsprogs btrfs-progs
	ostree skopeo xz-utils zstd pigz socat util-linux
	grub-common grub-pc-bin grub-efi-amd64-bin gnupg debian-archive-keyring time gnuplot-nox bc
	policycoreutils rpm eatmydata
	xorriso isomd5sum erofs-utils
	qemu-user-static binfmt-support
)
# The docker CLI (for docker buildx) usually comes with the machine; where it
# does not, Debian's docker.io provides it (its daemon is not needed).
command -v docker >/dev/null || pkgs+=(docker.io)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "host-packages: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
sudo_=""
[ "$(id -u)" -eq 0 ] || sudo_=sudo
$sudo_ apt-get update -qq >&2
$sudo_ apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
