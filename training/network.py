"""The denoiser: network.json's node list interpreted with PyTorch.

Two readings of one node list, as in src/model/network-tfjs.ts:
- 'integer': float master weights fake-quantised on the fly (straight-through gradients).
  Every value is a real number on the integer grid (int / 2^ACT_FRACTION_BITS), so on the CPU
  the forward pass computes exactly what the coder's integer network computes.
- 'float': the same architecture unquantised, only to measure what the constraint costs.
Tensors are NCHW here; the flat parameter vector keeps conv weights HWIO as the bundle does.
"""

import json
import math

import torch
import torch.nn.functional as F


class RoundHalfUp(torch.autograd.Function):
    """floor(x + 0.5) whose gradient is the identity (straight-through estimator)."""

    @staticmethod
    def forward(ctx, x):
        return torch.floor(x + 0.5)

    @staticmethod
    def backward(ctx, grad):
        return grad


def fake_quantize(x, scale):
    """Rounds x·scale half up to an integer and divides back; the gradient passes straight through."""
    return RoundHalfUp.apply(x * scale) / scale


class Description:
    """network.json: config, nodes, parameter layout and the integer arithmetic's constants."""

    def __init__(self, data):
        if data.get("format") != "vdmzip-network" or data.get("version") != 1:
            raise ValueError("not a vdmzip network description (format vdmzip-network, version 1)")
        self.config = data["config"]
        self.constants = data["constants"]
        self.nodes = data["nodes"]
        self.params = {p["name"]: p for p in data["params"]}
        self.param_count = data["paramCount"]
        self.reverse_log_variance = data["names"]["reverseLogVariance"]
        self.convs = [n for n in self.nodes if n["op"] == "conv"]

    @staticmethod
    def load(path):
        with open(path) as f:
            return Description(json.load(f))

    @property
    def T(self):
        return self.config["T"]

    @property
    def channels(self):
        return self.config["channels"]

    @property
    def pixel_variance(self):
        return self.config.get("variance") == "pixel"

    def view(self, flat, name):
        """The named tensor of a flat parameter vector (a view: gradients reach the vector)."""
        p = self.params[name]
        return flat[p["offset"]:p["offset"] + p["size"]].view(p["shape"])


def weight_exponent(max_abs, weight_max, exponent_max):
    """The largest e for which max|w|·2^e still rounds into [-WEIGHT_MAX, WEIGHT_MAX] (params.ts)."""
    if max_abs == 0:
        return exponent_max
    e = exponent_max
    while e > -exponent_max and math.floor(max_abs * 2.0 ** e + 0.5) > weight_max:
        e -= 1
    return e


def weight_exponents(desc, flat):
    """Each conv layer's weight exponent, from the float32 master weights (one device transfer)."""
    c = desc.constants
    with torch.no_grad():
        maxima = torch.stack([desc.view(flat, n["name"] + ".w").abs().max() for n in desc.convs]).double().cpu().tolist()
    return {n["name"]: weight_exponent(m, c["WEIGHT_MAX"], c["WEIGHT_EXPONENT_MAX"]) for n, m in zip(desc.convs, maxima)}


def weight_limits(desc, exponents, device):
    """Per parameter, the largest |w| that keeps each conv layer's exponent (inf elsewhere).

    A layer's exponent follows its largest weight: one weight grown past WEIGHT_MAX·2^−e halves
    the grid of every weight in the layer, a loss the straight-through gradient cannot see.
    Unclamped, 4,350 GPU steps took the output layer from exponent 11 to 9 (a grid 4× coarser);
    clamping its weights back to exponent 11 lowered that checkpoint's validation −ELBO by
    0.024 bpd (docs/experiments.md). Clamped to these limits after each update, weights saturate
    instead, and an exponent can only rise (a finer grid) as a layer's weights shrink.
    """
    limits = torch.full((desc.param_count,), math.inf, device=device)
    margin = desc.constants["WEIGHT_MAX"] + 0.25
    for node in desc.convs:
        p = desc.params[node["name"] + ".w"]
        limits[p["offset"]:p["offset"] + p["size"]] = margin * 2.0 ** -exponents[node["name"]]
    return limits


def activation_range(act, act_max):
    return (0, act_max) if act == "relu" else (-act_max, act_max)


def run_network(desc, flat, exponents, features, rows, precision="integer"):
    """The network's raw output (the output layer's accumulator over 2^(e+ACT_FRACTION_BITS)).

    features: [N, 3C, H, W] real values on the activation grid; rows: [N] step − 1 (int64).
    """
    c = desc.constants
    act_scale = 2.0 ** c["ACT_FRACTION_BITS"]
    act_limit = c["ACT_MAX"] / act_scale
    values = []
    for node in desc.nodes:
        op = node["op"]
        if op == "input":
            y = features
        elif op == "conv":
            name = node["name"]
            w = desc.view(flat, name + ".w").permute(3, 2, 0, 1)
            bias = desc.view(flat, name + ".b").unsqueeze(0)
            if node["timeBias"]:
                bias = bias + desc.view(flat, name + ".t")[rows]
            bias = bias[:, :, None, None]
            x = values[node["src"]]
            pad = node["kernel"] // 2
            if precision == "integer":
                weight_scale = 2.0 ** exponents[name]
                acc_scale = weight_scale * act_scale
                bias_limit = c["BIAS_MAX"] / acc_scale
                acc = F.conv2d(x, fake_quantize(w, weight_scale), padding=pad)
                acc = acc + fake_quantize(torch.clamp(bias, -bias_limit, bias_limit), acc_scale)
                if node["act"] == "none":
                    y = acc
                else:
                    lo, hi = activation_range(node["act"], c["ACT_MAX"])
                    y = fake_quantize(torch.clamp(acc, lo / act_scale, hi / act_scale), act_scale)
            else:
                acc = F.conv2d(x, w, padding=pad) + bias
                y = F.relu(acc) if node["act"] == "relu" else acc
        elif op == "add":
            y = values[node["a"]] + values[node["b"]]
            if precision == "integer":
                y = torch.clamp(y, -act_limit, act_limit)
        elif op == "down":
            y = F.avg_pool2d(values[node["src"]], 2)
            if precision == "integer":
                y = fake_quantize(y, act_scale)
        elif op == "up":
            y = F.interpolate(values[node["src"]], scale_factor=2, mode="nearest")
        else:
            raise ValueError(f"unknown node op {op!r}")
        values.append(y)
    return values[-1]
