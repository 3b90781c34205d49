"""Cross-checks that the TypeScript tests run against the coder's engines:

  python3 -m training.check <job folder>

The folder holds network.json, params.bin (float32 parameter vector) and job.json:
- {"kind": "forward", "shape": [N, H, W, F], "step": i}: features.bin holds integer features
  (NHWC float32, as the coding path feeds ONNX Runtime); writes accumulators.bin, the
  fake-quantised network's output times 2^(e_out + ACT_FRACTION_BITS), NHWC float32.
- {"kind": "loss", "shape": [N, H, W, C]}: pixels.bin, steps.bin (int32), eps.bin and eps0.bin
  (NHWC float32), and weights.bin (float32) when the steps were not drawn uniformly; writes
  terms.json, each term summed over the batch in nats and per example (priorEach, …), the loss
  (mean bpd) and its gradient's norm, and gradient.bin, the loss's gradient.
- {"kind": "sampling", "cases": [{"loss": [...], "share": s, "count": n, "offsets": [...]}, …]}:
  writes sampling.json, each case's step probabilities and, for each offset, its steps and
  importance weights (training/train.py's importance sampling).
"""

import json
import math
import os
import sys

import numpy as np
import torch

from .network import Description, run_network, weight_exponents
from .train import importance_probabilities, systematic_steps
from .vdm import elbo_terms


def nchw(array, shape):
    return torch.from_numpy(array.reshape(shape)).permute(0, 3, 1, 2).contiguous()


def sampling(folder, job):
    results = []
    for case in job["cases"]:
        p = importance_probabilities(np.array(case["loss"], dtype=np.float64), case["share"])
        draws = [systematic_steps(p, case["count"], offset) for offset in case["offsets"]]
        results.append({"probabilities": p.tolist(), "draws": [{"steps": s.tolist(), "weights": w.tolist()} for s, w in draws]})
    with open(os.path.join(folder, "sampling.json"), "w") as f:
        json.dump(results, f)


def main(folder):
    with open(os.path.join(folder, "job.json")) as f:
        job = json.load(f)
    if job["kind"] == "sampling":
        return sampling(folder, job)
    desc = Description.load(os.path.join(folder, "network.json"))
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
        weights = torch.from_numpy(read("weights.bin")) if os.path.exists(os.path.join(folder, "weights.bin")) else None
        eps, eps0 = nchw(read("eps.bin"), shape), nchw(read("eps0.bin"), shape)
        prior, diffusion, reconstruction = elbo_terms(desc, params, exponents, pixels, steps, eps, eps0, weights)
        dims = shape[1] * shape[2] * shape[3]
        loss = (prior.sum() + diffusion.sum() + reconstruction.sum()) / (shape[0] * dims * math.log(2))
        loss.backward()
        terms = {"prior": prior.sum().item(), "diffusion": diffusion.sum().item(), "reconstruction": reconstruction.sum().item(),
                 "priorEach": prior.tolist(), "diffusionEach": diffusion.tolist(), "reconstructionEach": reconstruction.tolist(),
                 "loss": loss.item(), "gradNorm": params.grad.norm().item()}
        with open(os.path.join(folder, "terms.json"), "w") as f:
            json.dump(terms, f)
        params.grad.numpy().astype("<f4").tofile(os.path.join(folder, "gradient.bin"))
    else:
        raise ValueError(f"unknown job kind {job['kind']!r}")


if __name__ == "__main__":
    main(sys.argv[1])
