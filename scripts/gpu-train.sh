#!/usr/bin/env bash
# One training run on a GPU machine that has Python, PyTorch with CUDA, numpy and Pillow but
# no Node and no network (docs/training.md): resumes the committed checkpoint on the data that
# scripts/pack-gpu-training.sh packed into gpu-data/, then copies the checkpoint and its log
# to $OUT, from where they come back to be committed.
#
#   HOURS=0.135 BATCH=256 LR=2e-4 bash scripts/gpu-train.sh   (8.1 minutes of training in a 10-minute call)
#
# The noise schedule is held fixed (FREEZE, default gamma.logits,gamma.ends): its gradient
# passes through the nearest-pixel feature's floor and misleads (docs/experiments.md, the first
# GPU run); FREEZE= (empty) trains it too.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONUNBUFFERED=1
python=${PYTHON:-python3}
out=${OUT:?set OUT to the folder whose files come back}
checkpoint=${CHECKPOINT:-models/default/training}
train_args=()
for folder in gpu-data/*/; do
  [ "$(basename "$folder")" = val ] || train_args+=(--train "${folder%/}")
done
"$python" -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available() and torch.cuda.get_device_name())'
status=0
"$python" -m training --out "$checkpoint" "${train_args[@]}" --val gpu-data/val \
  --batch "${BATCH:-256}" --lr "${LR:-2e-4}" --warmup "${WARMUP:-200}" --hours "${HOURS:-0.135}" \
  --val-every "${VAL_EVERY:-500}" --val-patches "${VAL_PATCHES:-2048}" --checkpoint-minutes 2 \
  --freeze "${FREEZE-gamma.logits,gamma.ends}" "$@" || status=$?
cp "$checkpoint/checkpoint.json" "$checkpoint/checkpoint.bin" "$checkpoint/train-log.jsonl" "$out/"
exit $status
