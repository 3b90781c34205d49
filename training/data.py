"""Training data: photos held in memory as uint8 HWC arrays, from which square crops are cut."""

import os

import numpy as np

IMAGE_SUFFIXES = (".ppm", ".pgm", ".pnm", ".png", ".webp")


def mulberry32(seed):
    """The generator of src/random.ts, so both sides cut the same validation crops."""
    state = seed & 0xFFFFFFFF

    def imul(a, b):
        return (a * b) & 0xFFFFFFFF

    def next_uniform():
        nonlocal state
        state = (state + 0x6D2B79F5) & 0xFFFFFFFF
        t = state
        t = imul(t ^ (t >> 15), t | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & 0xFFFFFFFF
        return ((t ^ (t >> 14)) & 0xFFFFFFFF) / 4294967296

    return next_uniform


def _read_token(data, pos):
    while True:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            while data[pos:pos + 1] not in (b"\n", b""):
                pos += 1
            continue
        start = pos
        while pos < len(data) and not data[pos:pos + 1].isspace():
            pos += 1
        return data[start:pos], pos


def read_pnm(path):
    """8-bit binary PPM (P6) or PGM (P5) as a uint8 [H, W, C] array."""
    with open(path, "rb") as f:
        data = f.read()
    magic, pos = _read_token(data, 0)
    if magic not in (b"P5", b"P6"):
        raise ValueError(f"{path}: not a binary PPM/PGM")
    width, pos = _read_token(data, pos)
    height, pos = _read_token(data, pos)
    maxval, pos = _read_token(data, pos)
    if int(maxval) != 255:
        raise ValueError(f"{path}: only 8-bit PPM/PGM is read here")
    channels = 3 if magic == b"P6" else 1
    w, h = int(width), int(height)
    body = np.frombuffer(data, dtype=np.uint8, count=w * h * channels, offset=pos + 1)
    return body.reshape(h, w, channels)


def read_image(path):
    """PPM/PGM here; PNG and lossless WebP (the packed data a GPU run carries) through Pillow."""
    if path.lower().endswith((".png", ".webp")):
        try:
            from PIL import Image
        except ImportError as e:
            raise ValueError(f"{path}: reading PNG or WebP needs Pillow (python3-pil)") from e
        with Image.open(path) as im:
            array = np.asarray(im)
        return array[:, :, None] if array.ndim == 2 else array
    return read_pnm(path)


def list_images(folder):
    names = sorted(n for n in os.listdir(folder) if n.lower().endswith(IMAGE_SUFFIXES))
    if not names:
        raise ValueError(f"{folder}: no PNG/PPM/PGM images in this folder")
    return [os.path.join(folder, n) for n in names]


def load_images(folders, channels):
    images = []
    for folder in folders:
        for path in list_images(folder):
            image = read_image(path)
            if image.shape[2] != channels:
                raise ValueError(f"{path}: has {image.shape[2]} channels, the model expects {channels}")
            images.append(np.ascontiguousarray(image))
    return images


class CropSampler:
    """Square crops, uniform over all valid positions of all images (large photos are sampled in
    proportion to their area), as src/model/data.ts's samplePatches."""

    def __init__(self, images, crop):
        self.images = images
        self.crop = crop
        self.positions = np.array([max(0, im.shape[1] - crop + 1) * max(0, im.shape[0] - crop + 1) for im in images], dtype=np.int64)
        self.total = int(self.positions.sum())
        if self.total == 0:
            raise ValueError(f"every image is smaller than the {crop}×{crop} crop")
        self.ends = np.cumsum(self.positions)

    @property
    def megapixels(self):
        return sum(im.shape[0] * im.shape[1] for im in self.images) / 1e6

    def _cut(self, r, mirrored):
        i = int(np.searchsorted(self.ends, r, side="right"))
        r -= int(self.ends[i - 1]) if i > 0 else 0
        im = self.images[i]
        across = im.shape[1] - self.crop + 1
        x0, y0 = r % across, r // across
        out = im[y0:y0 + self.crop, x0:x0 + self.crop]
        return out[:, ::-1] if mirrored else out

    def sample(self, count, rng):
        """count crops, each mirrored left-right with probability ½: uint8 [count, crop, crop, C]."""
        r = rng.integers(0, self.total, size=count)
        mirrored = rng.random(count) < 0.5
        return np.stack([self._cut(int(r[k]), bool(mirrored[k])) for k in range(count)])

    def fixed(self, count, seed):
        """The same crops as samplePatches(images, crop, count, mulberry32(seed), false)."""
        random = mulberry32(seed)
        return np.stack([self._cut(int(random() * self.total), False) for _ in range(count)])
