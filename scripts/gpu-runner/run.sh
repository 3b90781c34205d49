#!/usr/bin/env bash
# vdmzip on the GPU, on a host with a GPU driver but no Node and no network (docs/gpu.md):
#   dist/gpu-runner/run.sh compress photo.png        (compress, decompress, eval, bench get --device gpu)
#   dist/gpu-runner/run.sh info photo.png.vdmz       (other commands run as they are)
# A later --device on the command line wins over the one added here.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
[ $# -gt 0 ] || runner_fail "usage: run.sh COMMAND [ARGS...] (vdmzip's commands; see run.sh --help)"
runner_setup
command=$1
shift
case $command in
  compress | decompress | eval | bench) exec "$runner_node" "$runner_work/cli/vdmzip.mjs" "$command" --device gpu "$@" ;;
  *) exec "$runner_node" "$runner_work/cli/vdmzip.mjs" "$command" "$@" ;;
esac
