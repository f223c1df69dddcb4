#!/usr/bin/env bash
# Builds the reference Debian image (images/debian-bookworm-qcow2.json) with
# the osbuildkit CLI and says where it is and how to boot it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
eval "$("$top/hack/env.sh" print)"
out=${DEMO_OUT:-$top/out/demo}
"$top/bin/osbuildkit" build --progress "${PROGRESS:-auto}" --output-directory "$out" "$top/images/debian-bookworm-qcow2.json"
image=$out/assembler/debian-bookworm.qcow2
cat <<MSG

The reference Debian bookworm image is at:
  $image
Log in as debian / debian. Boot it with qemu:
  BIOS: qemu-system-x86_64 -machine q35 -m 1024 -nographic -drive file=$image,if=virtio,snapshot=on
  UEFI: add -drive if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd
MSG
