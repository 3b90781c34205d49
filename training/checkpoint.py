"""Checkpoints in the format the TypeScript side loads and bundles (src/training/train.ts).

checkpoint.json: {format: 1, config, precision, step, examples, trainSeconds, paramCount}
checkpoint.bin:  float32 little-endian, the parameters and then their EMA (committed with the model)
optimizer.bin:   float32, Adam's m, v and the update count (never committed; without it Adam
                 restarts with a fresh warm-up)
Each file is written through a temporary file and a rename, binaries before the JSON that
describes them, so an interrupted save leaves the previous checkpoint whole.
"""

import json
import os

import numpy as np

CHECKPOINT_JSON = "checkpoint.json"
CHECKPOINT_BIN = "checkpoint.bin"
OPTIMIZER_BIN = "optimizer.bin"
NETWORK_JSON = "network.json"
TRAIN_LOG = "train-log.jsonl"


def _write_atomically(path, data):
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.replace(path + ".tmp", path)


def _floats(path):
    return np.fromfile(path, dtype="<f4")


def load(folder, param_count):
    """(meta, params, ema, (updates, m, v) or None) as float32 numpy arrays."""
    with open(os.path.join(folder, CHECKPOINT_JSON)) as f:
        meta = json.load(f)
    weights = _floats(os.path.join(folder, CHECKPOINT_BIN))
    if meta.get("format") != 1 or meta.get("paramCount") != param_count or weights.size != 2 * param_count:
        raise ValueError(f"{folder}: checkpoint does not match its network.json ({param_count} parameters)")
    optimizer = None
    path = os.path.join(folder, OPTIMIZER_BIN)
    if os.path.exists(path):
        saved = _floats(path)
        if saved.size == 2 * param_count + 1:
            optimizer = (int(saved[-1]), saved[:param_count].copy(), saved[param_count:2 * param_count].copy())
    return meta, weights[:param_count].copy(), weights[param_count:].copy(), optimizer


def save(folder, meta, params, ema, updates, m, v):
    n = meta["paramCount"]
    _write_atomically(os.path.join(folder, CHECKPOINT_BIN), np.concatenate([params, ema]).astype("<f4").tobytes())
    optimizer = np.concatenate([m, v, np.array([updates], dtype=np.float32)]).astype("<f4")
    assert optimizer.size == 2 * n + 1
    _write_atomically(os.path.join(folder, OPTIMIZER_BIN), optimizer.tobytes())
    _write_atomically(os.path.join(folder, CHECKPOINT_JSON), (json.dumps(meta, indent=2) + "\n").encode())
