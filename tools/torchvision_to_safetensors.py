#!/usr/bin/env python3
"""Converts torchvision's AlexNet weights to the safetensors `fooling --net alexnet` reads.

Our `alexnet` keeps torchvision's tensor names (features.0.weight, ..., classifier.6.bias),
so the conversion is a checked copy: every tensor the network needs, f32, contiguous, with
the expected shape; anything else in the file is an error.

Usage (in a virtualenv with torch and safetensors), given the file torchvision downloads to
~/.cache/torch/hub/checkpoints/ (alexnet-owt-7be5be79.pth for AlexNet_Weights.IMAGENET1K_V1):
    python3 tools/torchvision_to_safetensors.py alexnet-owt-7be5be79.pth weights/alexnet.safetensors
"""
import hashlib
import sys

import torch
from safetensors.torch import save_file

SHAPES = {
    "features.0": ((64, 3, 11, 11), 64),
    "features.3": ((192, 64, 5, 5), 192),
    "features.6": ((384, 192, 3, 3), 384),
    "features.8": ((256, 384, 3, 3), 256),
    "features.10": ((256, 256, 3, 3), 256),
    "classifier.1": ((4096, 9216), 4096),
    "classifier.4": ((4096, 4096), 4096),
    "classifier.6": ((1000, 4096), 1000),
}


def main(src, dst):
    state = torch.load(src, map_location="cpu", weights_only=True)
    if "state_dict" in state:
        state = state["state_dict"]
    want = {}
    for layer, (w, b) in SHAPES.items():
        want[f"{layer}.weight"] = w
        want[f"{layer}.bias"] = (b,)
    extra = sorted(set(state) - set(want))
    missing = sorted(set(want) - set(state))
    if missing or extra:
        sys.exit(f"{src}: not torchvision's alexnet: missing {missing}, unexpected {extra}")
    out = {}
    for name, shape in want.items():
        t = state[name]
        if tuple(t.shape) != shape:
            sys.exit(f"{src}: tensor {name}: expected shape {shape}, found {tuple(t.shape)}")
        out[name] = t.detach().to(torch.float32).contiguous()
    save_file(out, dst, metadata={"source": str(src), "converter": "tools/torchvision_to_safetensors.py"})
    digest = hashlib.sha256(open(dst, "rb").read()).hexdigest()
    print(f"wrote {dst}: {len(out)} tensors, {sum(t.numel() for t in out.values())} parameters; sha256 {digest}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
