"""The training loop: Adam and an EMA of the weights on one flat parameter vector, importance
sampling of diffusion steps, validation on a fixed set, checkpoints and a JSONL log that the
TypeScript side's report reads (src/training/report.ts)."""

import json
import math
import os
import signal
import sys
import time

import numpy as np
import torch

from . import checkpoint
from .data import CropSampler, load_images
from .network import Description, weight_exponents, weight_limits
from .vdm import elbo_terms, gamma_schedule

# Share of each batch spread evenly over all T steps under importance sampling.
UNIFORM_SHARE = 0.25
BETA1, BETA2, ADAM_EPSILON = 0.9, 0.99, 1e-8
# Only a guard against rare spikes: typical norms early in training are 20–60 (bpd units).
CLIP_NORM = 100.0
LOG_EVERY = 20
VALIDATION_SEED = 0x5EED
VALIDATION_CHUNK = 32


def importance_probabilities(step_loss, uniform_share):
    """A uniform_share of 1/T for each step, the rest in proportion to each step's loss."""
    loss = np.where(np.isfinite(step_loss) & (step_loss > 0), step_loss, 0.0)
    total = loss.sum()
    T = len(loss)
    if not total > 0:
        return np.full(T, 1.0 / T)
    return uniform_share / T + (1 - uniform_share) * (loss / total)


def systematic_steps(probabilities, count, offset):
    """count steps (1..T) by systematic sampling: one offset in [0, 1), evenly spaced points on
    the cumulative distribution; each with its importance weight 1/p."""
    cumulative = np.cumsum(probabilities)
    points = (offset + np.arange(count)) / count
    rows = np.minimum(np.searchsorted(cumulative, points, side="right"), len(probabilities) - 1)
    return rows + 1, (1.0 / probabilities[rows]).astype(np.float32)


def to_bpd(sums, count, dims):
    k = 1 / (count * dims * math.log(2))
    prior, diffusion, reconstruction = (s * k for s in sums)
    return {"bpd": prior + diffusion + reconstruction, "prior": prior, "diffusion": diffusion, "reconstruction": reconstruction}


def duration(seconds):
    if not math.isfinite(seconds):
        return "?"
    h, m, s = int(seconds // 3600), int(seconds % 3600 // 60), int(seconds % 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s"


class Trainer:
    def __init__(self, args):
        self.args = args
        self.out = args.out
        self.device = torch.device(args.device)
        if self.device.type == "cuda":
            # Conv inputs are 7-bit integers over powers of two, exact in TF32's 10-bit
            # mantissa, and sums stay below 2^24 in float32: TF32 keeps the integer graph exact.
            torch.backends.cuda.matmul.allow_tf32 = True
            torch.backends.cudnn.allow_tf32 = True
            torch.backends.cudnn.benchmark = True
        self.desc = Description.load(os.path.join(self.out, checkpoint.NETWORK_JSON))
        n = self.desc.param_count
        meta, params, ema, optimizer = checkpoint.load(self.out, n)
        if meta["config"] != self.desc.config:
            raise ValueError(f"{self.out}: checkpoint.json and network.json describe different networks")
        self.meta = meta
        self.precision = meta.get("precision", "integer")
        self.params = torch.tensor(params, device=self.device, requires_grad=True)
        self.ema = torch.tensor(ema, device=self.device)
        updates, m, v = optimizer if optimizer is not None else (0, np.zeros(n, np.float32), np.zeros(n, np.float32))
        self.updates = updates
        self.m = torch.tensor(m, device=self.device)
        self.v = torch.tensor(v, device=self.device)
        self.frozen = torch.zeros(n, dtype=torch.bool, device=self.device)
        for name in args.freeze:
            if name not in self.desc.params:
                raise ValueError(f"--freeze: no parameter tensor named {name!r}")
            p = self.desc.params[name]
            self.frozen[p["offset"]:p["offset"] + p["size"]] = True
        with torch.no_grad():
            self.params.copy_(torch.where(self.frozen, self.ema, self.params))
        self.limit_exponents = None
        self.crop = args.crop or self.desc.config["patch"]
        levels = len(self.desc.config["widths"])
        if self.crop % 2 ** (levels - 1):
            raise ValueError(f"--crop {self.crop} is not a multiple of {2 ** (levels - 1)}, which the network's {levels} levels need")
        self.dims = self.crop * self.crop * self.desc.channels
        self.train_data = CropSampler(load_images(args.train, self.desc.channels), self.crop)
        val_data = CropSampler(load_images([args.val], self.desc.channels), self.crop)
        self.val_pixels = self._pixels(val_data.fixed(args.val_patches, VALIDATION_SEED))
        T = self.desc.T
        self.val_steps = torch.tensor([1 + k % T for k in range(args.val_patches)], device=self.device)
        self.step_probabilities = np.full(T, 1.0 / T)
        self.log_path = os.path.join(self.out, checkpoint.TRAIN_LOG)
        self.stop_requested = False

    def _pixels(self, crops):
        """uint8 [N, H, W, C] crops as float32 NCHW on the device."""
        return torch.from_numpy(np.ascontiguousarray(crops)).to(self.device).permute(0, 3, 1, 2).float()

    def log(self, record):
        with open(self.log_path, "a") as f:
            f.write(json.dumps(record) + "\n")

    def _noise(self, shape, seed):
        generator = torch.Generator(device=self.device)
        generator.manual_seed(seed)
        eps = torch.randn(shape, generator=generator, device=self.device)
        eps0 = torch.randn(shape, generator=generator, device=self.device)
        return eps, eps0

    def gamma(self, flat):
        with torch.no_grad():
            return gamma_schedule(self.desc, flat).double().cpu().tolist()

    @torch.no_grad()
    def validate(self):
        """Validation −ELBO of the EMA weights and each step's share of the diffusion term; under
        importance sampling the next batches' step probabilities follow each step's share of
        diffusion and reconstruction together."""
        T = self.desc.T
        exponents = weight_exponents(self.desc, self.ema)
        sums = np.zeros(3)
        per_step = np.zeros(T)
        step_loss = np.zeros(T)
        count = self.val_pixels.shape[0]
        for k, start in enumerate(range(0, count, VALIDATION_CHUNK)):
            pixels = self.val_pixels[start:start + VALIDATION_CHUNK]
            steps = self.val_steps[start:start + VALIDATION_CHUNK]
            eps, eps0 = self._noise(pixels.shape, 1000 + k)
            prior, diffusion, reconstruction = elbo_terms(self.desc, self.ema, exponents, pixels, steps, eps, eps0, precision=self.precision)
            sums += [prior.sum().item(), diffusion.sum().item(), reconstruction.sum().item()]
            rows = (steps - 1).cpu().numpy()
            np.add.at(per_step, rows, diffusion.double().cpu().numpy())
            np.add.at(step_loss, rows, (diffusion + reconstruction).double().cpu().numpy())
        if self.args.step_sampling == "importance":
            self.step_probabilities = importance_probabilities(step_loss, UNIFORM_SHARE)
            self.log({"kind": "sampling", "step": self.meta["step"], "probabilities": self.step_probabilities.tolist()})
        result = to_bpd(sums, count, self.dims)
        result["stepShare"] = (per_step / per_step.sum()).tolist()
        return result

    def log_validation(self, val):
        self.log({"kind": "val", "step": self.meta["step"], "examples": self.meta["examples"], "hours": self.meta["trainSeconds"] / 3600, **val, "gamma": self.gamma(self.ema)})

    def save(self):
        cpu = lambda t: t.detach().cpu().numpy()
        checkpoint.save(self.out, self.meta, cpu(self.params), cpu(self.ema), self.updates, cpu(self.m), cpu(self.v))

    def train_step(self, step):
        args = self.args
        rng = np.random.default_rng((args.seed * 1_000_003 + step) & 0xFFFFFFFF)
        pixels = self._pixels(self.train_data.sample(args.batch, rng))
        steps, weights = systematic_steps(self.step_probabilities, args.batch, rng.random())
        steps = torch.from_numpy(steps).to(self.device)
        weights = torch.from_numpy(weights).to(self.device)
        eps, eps0 = self._noise(pixels.shape, int(rng.integers(0, 2**62)))
        exponents = weight_exponents(self.desc, self.params)
        if exponents != self.limit_exponents:
            self.limits = weight_limits(self.desc, exponents, self.device)
            self.limit_exponents = exponents
        self.params.grad = None
        prior, diffusion, reconstruction = elbo_terms(self.desc, self.params, exponents, pixels, steps, eps, eps0, weights, self.precision)
        scale = 1 / (args.batch * self.dims * math.log(2))
        loss = (prior.sum() + diffusion.sum() + reconstruction.sum()) * scale
        loss.backward()
        with torch.no_grad():
            grads = self.params.grad.masked_fill_(self.frozen, 0)
            norm = grads.norm().item()
            if not math.isfinite(norm):
                raise FloatingPointError(f"non-finite gradient at step {step}; resume from the last checkpoint with a lower --lr")
            g = grads * (CLIP_NORM / norm if norm > CLIP_NORM else 1.0)
            t = step + 1
            self.updates += 1
            lr = args.lr * min(1.0, self.updates / args.warmup)
            correction1 = 1 - BETA1 ** self.updates
            correction2 = 1 - BETA2 ** self.updates
            decay = min(args.ema, (1 + t) / (10 + t))
            # Frozen tensors keep their moments and values; torch.where (not boolean indexing,
            # which waits for the GPU to count the mask) leaves them as they are.
            self.m.copy_(torch.where(self.frozen, self.m, BETA1 * self.m + (1 - BETA1) * g))
            self.v.copy_(torch.where(self.frozen, self.v, BETA2 * self.v + (1 - BETA2) * g * g))
            update = lr * (self.m / correction1) / (torch.sqrt(self.v / correction2) + ADAM_EPSILON)
            self.params.sub_(update.masked_fill_(self.frozen, 0))
            self.params.clamp_(min=-self.limits, max=self.limits)
            self.ema.mul_(decay).add_(self.params.detach(), alpha=1 - decay)
        sums = np.array([prior.sum().item(), diffusion.sum().item(), reconstruction.sum().item()])
        return sums, norm, lr

    def run(self):
        args = self.args
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: setattr(self, "stop_requested", True))
        started = time.time()
        self.log({"kind": "run", "step": self.meta["step"], "engine": f"pytorch {torch.__version__}", "device": str(self.device),
                  "threads": torch.get_num_threads(), "trainMegapixels": round(self.train_data.megapixels, 3), "trainImages": len(self.train_data.images),
                  "batch": args.batch, "lr": args.lr, "crop": self.crop})
        if args.freeze:
            self.log({"kind": "freeze", "step": self.meta["step"], "names": list(args.freeze)})
        # Every run starts with a validation: its step probabilities, and the figure this run's
        # data and settings start from.
        self.log_validation(self.validate())
        last_checkpoint = time.time()
        window_start = time.time()
        window = {"examples": 0, "sums": np.zeros(3), "norm": 0.0, "steps": 0}
        running = math.nan
        last_val = ""
        try:
            while not self.stop_requested:
                step = self.meta["step"]
                if args.steps is not None and step >= args.steps:
                    break
                if args.hours is not None and time.time() - started >= args.hours * 3600:
                    break
                sums, norm, lr = self.train_step(step)
                t = step + 1
                self.meta["step"] = t
                self.meta["examples"] += args.batch
                window["examples"] += args.batch
                window["sums"] += sums
                window["norm"] += norm
                window["steps"] += 1
                batch_bpd = to_bpd(sums, args.batch, self.dims)["bpd"]
                running = batch_bpd if math.isnan(running) else 0.98 * running + 0.02 * batch_bpd
                now = time.time()
                rate = window["examples"] / max(1e-3, now - window_start)
                if t % LOG_EVERY == 0:
                    self.meta["trainSeconds"] += now - window_start
                    self.log({"kind": "train", "step": t, "examples": self.meta["examples"], "hours": self.meta["trainSeconds"] / 3600, "lr": lr,
                              "examplesPerSecond": rate, "gradNorm": window["norm"] / window["steps"], **to_bpd(window["sums"], window["examples"], self.dims)})
                    window_start = now
                    window = {"examples": 0, "sums": np.zeros(3), "norm": 0.0, "steps": 0}
                if t % args.val_every == 0:
                    val = self.validate()
                    self.log_validation(val)
                    last_val = f" | val {val['bpd']:.3f} bpd (prior {val['prior']:.3f}, diffusion {val['diffusion']:.3f}, recon {val['reconstruction']:.3f})"
                    window_start = time.time()
                if time.time() - last_checkpoint >= args.checkpoint_minutes * 60:
                    self.save()
                    last_checkpoint = time.time()
                if t % LOG_EVERY == 0 or last_val and t % args.val_every == 0:
                    of = f"/{args.steps}" if args.steps is not None else ""
                    eta = f" | ETA {duration((args.steps - t) * args.batch / rate)}" if args.steps is not None else ""
                    print(f"step {t}{of} | {rate:.1f} ex/s{eta} | train {running:.3f} bpd{last_val}", file=sys.stderr, flush=True)
        finally:
            self.save()
        return self.meta
