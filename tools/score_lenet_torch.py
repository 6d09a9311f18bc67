#!/usr/bin/env python3
"""Score LeNet weights files with PyTorch (float64, CPU): an independent check of the held-out
accuracy a model card records (`fooling train` measures it with our own kernels).

Usage (from the repository root, in a virtualenv with torch, numpy, safetensors):
    python3 tools/score_lenet_torch.py [--data DIR] WEIGHTS.safetensors...

For each file: the fraction of DIR's held-out images (heldout-* or t10k-*, default
data/mnist-10k) whose most probable class is the label, with input = pixel/256 as Caffe's
LeNet takes it. Nothing of `fooling` runs here: the network is PyTorch's (tools/lenet_torch.py).
"""
import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file

sys.path.insert(0, str(Path(__file__).parent))
from lenet_torch import LeNet, read_idx  # noqa: E402


def held_out(data):
    for split in ("heldout", "t10k"):
        images = data / f"{split}-images-idx3-ubyte.gz"
        if images.exists():
            x = read_idx(images).astype(np.float64) / 256.0
            y = read_idx(data / f"{split}-labels-idx1-ubyte.gz").astype(np.int64)
            return torch.from_numpy(x).unsqueeze(1), torch.from_numpy(y)
    sys.exit(f"{data}: no heldout-* or t10k-* files")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data/mnist-10k", type=Path)
    ap.add_argument("weights", nargs="+", type=Path)
    args = ap.parse_args()
    x, y = held_out(args.data)
    for path in args.weights:
        model = LeNet().double()
        state = {k: v.double() for k, v in load_file(path).items()}
        model.load_state_dict(state)
        model.eval()
        with torch.no_grad():
            right = (model(x).argmax(1) == y).sum().item()
        print(f"{path}: {right}/{len(y)} = {100.0 * right / len(y):.2f}% held-out (PyTorch {torch.__version__}, float64)")


if __name__ == "__main__":
    main()
