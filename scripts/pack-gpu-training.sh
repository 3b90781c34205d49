#!/usr/bin/env bash
# Packs training data for a GPU machine that receives the repository plus at most 64 MiB in
# all (docs/training.md): the validation photos whole, then training photos at ÷3, ÷4 and ÷2
# until the budget is spent, as lossless WebP (1.2–1.5 bytes a pixel, Pillow reads it there).
#
#   scripts/pack-gpu-training.sh [budget MiB, default 40] [out folder, default gpu-data]
#
# The folder is ignored by git; name it in the device run's `carry`.
set -euo pipefail
cd "$(dirname "$0")/.."
budget=$(( ${1:-40} * 1024 * 1024 ))
out=${2:-gpu-data}
command -v cwebp >/dev/null || { echo "pack-gpu-training: cwebp not found (apt-get install webp)" >&2; exit 1; }
[ -d data/photos/val ] || { echo "pack-gpu-training: no data/photos (run npm run data first)" >&2; exit 1; }
rm -rf "$out"
used=0
pixels=0
pack() { # source folder, target folder name; stops when the budget is reached
  mkdir -p "$out/$2"
  for ppm in "$1"/*.ppm; do
    target="$out/$2/$(basename "${ppm%.ppm}").webp"
    cwebp -quiet -lossless -z 6 -exact "$ppm" -o "$target"
    size=$(stat -c %s "$target")
    if [ $((used + size)) -gt "$budget" ]; then rm "$target"; return 1; fi
    used=$((used + size))
    pixels=$((pixels + $(head -c 64 "$ppm" | sed -n 2p | awk '{print $1 * $2}')))
  done
}
pack data/photos/val val || { echo "pack-gpu-training: the validation photos alone exceed the budget" >&2; exit 1; }
val_pixels=$pixels
pixels=0
for scale in train-x3 train train-x2; do
  [ -d "data/photos/$scale" ] || continue
  pack "data/photos/$scale" "$scale" || break
done
rmdir "$out"/* 2>/dev/null || true
echo "packed $((used / 1024 / 1024)) MiB into $out/: validation $((val_pixels / 1000)) kpixels, training $((pixels / 1000)) kpixels ($(ls "$out" | tr '\n' ' '))"
