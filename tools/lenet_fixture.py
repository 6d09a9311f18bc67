#!/usr/bin/env python3
"""Fixture: LeNet with PyTorch's default random initialisation (seed 0) on random inputs.

Usage (from the repository root, in a virtualenv with torch, numpy, safetensors):
    python3 tools/lenet_fixture.py

Writes tests/fixtures/lenet_random_seed0.weights.safetensors (the weights, our names) and
tests/fixtures/lenet_random_seed0.io.safetensors (`input` (5,1,28,28) f32 in [0,1),
`logits` and `probs` (5,10) computed by PyTorch in float64 on the f32 weights and inputs).
"""
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file

sys.path.insert(0, str(Path(__file__).parent))
from lenet_torch import LeNet, state  # noqa: E402

SEED = 0


def main():
    torch.manual_seed(SEED)
    model = LeNet()
    x = torch.rand(5, 1, 28, 28)
    weights = state(model)
    with torch.no_grad():
        logits = model.double()(x.double())
        probs = torch.softmax(logits, dim=1)
    out = Path("tests/fixtures")
    out.mkdir(parents=True, exist_ok=True)
    meta = {"script": "tools/lenet_fixture.py", "seed": str(SEED), "torch": torch.__version__}
    save_file(weights, out / "lenet_random_seed0.weights.safetensors", metadata=meta)
    save_file({"input": x, "logits": logits.float(), "probs": probs.float()},
              out / "lenet_random_seed0.io.safetensors", metadata=meta)
    print("logits[0]:", logits[0].tolist())


if __name__ == "__main__":
    main()
