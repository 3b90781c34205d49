"""python3 -m training --out <training folder> --train <dir> [--train <dir> …] --val <dir> [options]

Resumes the checkpoint in --out (checkpoint.json, checkpoint.bin and network.json, which
`vdmzip train` writes for a new run) and trains it, on the GPU when one is there.
"""

import argparse
import os
import sys


def positive_int(text):
    n = int(text)
    if n <= 0:
        raise argparse.ArgumentTypeError("expected a positive integer")
    return n


def positive_float(text):
    x = float(text)
    if not x > 0:
        raise argparse.ArgumentTypeError("expected a positive number")
    return x


def parse(argv):
    p = argparse.ArgumentParser(prog="python3 -m training", description="Train vdmzip's diffusion model (resumes the checkpoint in --out).")
    p.add_argument("--out", required=True, help="training folder: network.json, checkpoint.json/.bin, train-log.jsonl")
    p.add_argument("--train", action="append", required=True, help="folder of training images (repeatable)")
    p.add_argument("--val", required=True, help="folder of validation images")
    p.add_argument("--device", default=None, help="cpu, cuda (default: cuda when available)")
    p.add_argument("--threads", type=positive_int, default=None, help="CPU threads (default: PyTorch's choice)")
    p.add_argument("--batch", type=positive_int, default=32)
    p.add_argument("--lr", type=positive_float, default=1e-3)
    p.add_argument("--warmup", type=positive_int, default=200)
    p.add_argument("--ema", type=positive_float, default=0.999)
    p.add_argument("--steps", type=positive_int, default=None, help="stop at this total step count")
    p.add_argument("--hours", type=positive_float, default=None, help="stop after this many hours of this run")
    p.add_argument("--val-every", type=positive_int, default=250)
    p.add_argument("--val-patches", type=positive_int, default=512)
    p.add_argument("--checkpoint-minutes", type=positive_float, default=10)
    p.add_argument("--seed", type=positive_int, default=1)
    p.add_argument("--freeze", default="", help="parameter tensors held fixed, comma-separated (e.g. gamma.ends)")
    p.add_argument("--crop", type=positive_int, default=None, help="side of training and validation crops (default: the model's patch)")
    p.add_argument("--step-sampling", choices=("importance", "uniform"), default="importance")
    args = p.parse_args(argv)
    args.freeze = [n.strip() for n in args.freeze.split(",") if n.strip()]
    return args


def main(argv):
    args = parse(argv)
    try:
        import torch
    except ImportError:
        print("training: PyTorch is not installed (Debian: apt-get install python3-torch; elsewhere: pip install torch)", file=sys.stderr)
        return 1
    if args.device is None:
        args.device = "cuda" if torch.cuda.is_available() else "cpu"
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    from .train import Trainer

    try:
        trainer = Trainer(args)
    except (ValueError, OSError) as e:
        print(f"training: {e}", file=sys.stderr)
        return 1
    meta = trainer.run()
    print(f"trained to step {meta['step']} ({meta['examples']} examples); checkpoint in {os.path.abspath(args.out)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
