#!/usr/bin/env python3
"""16-bit test photos from the validation photos' sources (docs/data.md), for measuring vdmzip
on deep samples against JPEG-XL. Needs numpy and Pillow, and `npm run data` run first (it
unpacks the sources into data/cache/extract/).

Each source is box-downscaled 4x in float (as the 8-bit photos are), then written two ways:
  mean/       the 4x4 mean scaled to 16 bits: at most 4081 distinct values (sums of 16 bytes),
              what a tool that averages 8-bit data at 16 bits writes;
  developed/  the mean in linear light through a colour matrix (as a raw developer applies one),
              back through the sRGB-like gamma: dense 16-bit values in every channel.

  /usr/bin/python3 scripts/make-photos16.py          # -> data/photos16/{mean,developed}/*.png
"""
import glob
import os
import sys

import numpy as np
from PIL import Image

SOURCES = [
    'usr/share/backgrounds/mate/nature/Dune.jpg',
    'usr/share/backgrounds/greentock_by_Peter_Nerlich.jpg',
    'usr/share/backgrounds/Picture_1A_by_freespace.jpg',
    'usr/share/lxqt/wallpapers/drop.png',
    'usr/share/wallpapers/ColdRipple/contents/images/2560x1600.jpg',
    'usr/share/wallpapers/Kite/contents/images/2560x1600.jpg',
]
MATRIX = np.array([[1.25, -0.15, -0.10], [-0.10, 1.20, -0.10], [-0.05, -0.15, 1.20]])


def find(path):
    hits = glob.glob(os.path.join('data/cache/extract', '*', path))
    if not hits:
        sys.exit(f'make-photos16: {path} not found under data/cache/extract (run npm run data first)')
    return hits[0]


def png16(array, path):
    """Writes an H×W×3 uint16 array as a 16-bit RGB PNG (Pillow cannot write 16-bit RGB itself)."""
    import struct
    import zlib
    h, w, _ = array.shape
    raw = b''.join(b'\x00' + array[y].astype('>u2').tobytes() for y in range(h))
    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))
    ihdr = struct.pack('>IIBBBBB', w, h, 16, 2, 0, 0, 0)
    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) + chunk(b'IDAT', zlib.compress(raw, 9)) + chunk(b'IEND', b''))


def main():
    for kind in ('mean', 'developed'):
        os.makedirs(f'data/photos16/{kind}', exist_ok=True)
    for source in SOURCES:
        rgb = np.asarray(Image.open(find(source)).convert('RGB'), dtype=np.float64)
        h, w = rgb.shape[0] // 4, rgb.shape[1] // 4
        mean = rgb[: 4 * h, : 4 * w].reshape(h, 4, w, 4, 3).mean(axis=(1, 3)) / 255
        linear = mean ** 2.2 @ MATRIX.T
        developed = np.clip(linear, 0, 1) ** (1 / 2.2)
        name = source.split('/')[-1].rsplit('.', 1)[0].lower()
        if name == '2560x1600':
            name = source.split('/')[-4].lower()
        png16(np.round(mean * 65535).astype(np.uint16), f'data/photos16/mean/{name}.png')
        png16(np.round(developed * 65535).astype(np.uint16), f'data/photos16/developed/{name}.png')
        print(f'{name}: {w}×{h}')


if __name__ == '__main__':
    main()
