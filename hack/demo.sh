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
Log in as debian / debian. Boot it (UEFI; --bios for SeaBIOS; Ctrl-A X quits):
  make vm        (or: bin/osbuildkit vm $image)
MSG
