#!/usr/bin/env bash
# The checks a GPU host must pass before vdmzip's GPU path is called verified (docs/gpu.md):
# WebGPU outputs equal the CPU's at batch 1, 16 and 256 and on a chain canvas; files made on
# either device decode on the other (fixture photos, and images the chain codes); seconds per
# megapixel of the chain on each. Writes gpu-check.json to $OUT (or the
# current folder); extra arguments go to gpu-check.mjs (--quick, --chain-photo FILE, --test-device cpu).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
runner_setup
[ -n "$runner_repo" ] || runner_fail "the checks need the checkout's models/default and fixtures/: keep the runner at dist/gpu-runner of a checkout"
out=${OUT:-.}
mkdir -p "$out"
echo "== host"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "nvidia-smi not found"
echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-unset}; node $("$runner_node" --version)"
# The device the CLI step compresses on: the GPU, or what --test-device names (a dry run).
cli_device=gpu
previous=
for arg in "$@"; do
  if [ "$previous" = --test-device ]; then cli_device=$arg; fi
  previous=$arg
done
echo "== the CLI: chelsea.png compressed on $cli_device, decompressed on cpu, with -v"
tmp=$(mktemp -d)
cli_status=0
vdmzip() { "$runner_node" "$runner_work/cli/vdmzip.mjs" "$@"; }
if vdmzip compress --device "$cli_device" -v -o "$tmp/chelsea.vdmz" "$runner_repo/fixtures/chelsea.png" &&
  vdmzip decompress --device cpu -v --format pnm -o "$tmp/back.ppm" "$tmp/chelsea.vdmz" &&
  vdmzip compress --device cpu -o "$tmp/cpu.vdmz" "$tmp/back.ppm" &&
  cmp "$tmp/chelsea.vdmz" "$tmp/cpu.vdmz"; then
  echo "ok   the CLI's file from $cli_device decodes on the CPU to pixels the CPU codes to the same bytes"
else
  echo "FAIL the CLI round trip on $cli_device (see above)"
  cli_status=1
fi
rm -rf "$tmp"
echo "== checks"
cd "$runner_repo"
check_status=0
"$runner_node" "$runner_work/cli/gpu-check.mjs" --repo "$runner_repo" --out "$out/gpu-check.json" "$@" || check_status=$?
exit $((cli_status || check_status))
