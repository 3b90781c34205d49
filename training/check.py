"""Cross-checks that the TypeScript tests run against the coder's engines:

  python3 -m training.check <job folder>

The folder holds network.json, params.bin (float32 parameter vector) and job.json:
- {"kind": "forward", "shape": [N, H, W, F], "step": i}: features.bin holds integer features
  (NHWC float32, as the coding path feeds ONNX Runtime); writes accumulators.bin, the
  fake-quantised network's output times 2^(e_out + ACT_FRACTION_BITS), NHWC float32.
- {"kind": "loss", "shape": [N, H, W, C]}: pixels.bin, steps.bin (int32), weights.bin, eps.bin
  and eps0.bin (NHWC float32); writes terms.json, each term summed over the batch in nats, and
  the loss (mean bpd) with its gradient's norm, and gradient.bin, the loss's gradient.
"""

import json
import math
import os
import sys

import numpy as np
import torch

from .network import Description, run_network, weight_exponents
from .vdm import elbo_terms


def nchw(array, shape):
    return torch.from_numpy(array.reshape(shape)).permute(0, 3, 1, 2).contiguous()


def main(folder):
    desc = Description.load(os.path.join(folder, "network.json"))
    with open(os.path.join(folder, "job.json")) as f:
        job = json.load(f)
    read = lambda name, dtype="<f4": np.fromfile(os.path.join(folder, name), dtype=dtype)
    params = torch.tensor(read("params.bin"), requires_grad=job["kind"] == "loss")
    exponents = weight_exponents(desc, params)
    shape = job["shape"]
    if job["kind"] == "forward":
        act_scale = 2.0 ** desc.constants["ACT_FRACTION_BITS"]
        features = nchw(read("features.bin"), shape) / act_scale
        rows = torch.full((shape[0],), job["step"] - 1, dtype=torch.int64)
        with torch.no_grad():
            out = run_network(desc, params, exponents, features, rows)
        last = desc.convs[-1]["name"]
        acc = out * 2.0 ** (exponents[last] + desc.constants["ACT_FRACTION_BITS"])
        acc.permute(0, 2, 3, 1).contiguous().numpy().astype("<f4").tofile(os.path.join(folder, "accumulators.bin"))
    elif job["kind"] == "loss":
        pixels = nchw(read("pixels.bin"), shape)
        steps = torch.from_numpy(read("steps.bin", "<i4").astype(np.int64))
        weights = torch.from_numpy(read("weights.bin"))
        eps, eps0 = nchw(read("eps.bin"), shape), nchw(read("eps0.bin"), shape)
        prior, diffusion, reconstruction = elbo_terms(desc, params, exponents, pixels, steps, eps, eps0, weights)
        dims = shape[1] * shape[2] * shape[3]
        loss = (prior.sum() + diffusion.sum() + reconstruction.sum()) / (shape[0] * dims * math.log(2))
        loss.backward()
        terms = {"prior": prior.sum().item(), "diffusion": diffusion.sum().item(), "reconstruction": reconstruction.sum().item(),
                 "loss": loss.item(), "gradNorm": params.grad.norm().item()}
        with open(os.path.join(folder, "terms.json"), "w") as f:
            json.dump(terms, f)
        params.grad.numpy().astype("<f4").tofile(os.path.join(folder, "gradient.bin"))
    else:
        raise ValueError(f"unknown job kind {job['kind']!r}")


if __name__ == "__main__":
    main(sys.argv[1])
