#!/usr/bin/env python3
"""Fixtures: CaffeNet (full size and a narrow twin) and torchvision's AlexNet with
counter-based random weights, as PyTorch computes them: logits, probabilities and the input
gradient of one class's probability, for two images of random bytes.

The weights and the images are not stored: both this script and the tests generate them
from the seed with the crate's counter-based hash (lowbias32; `fooling::evo::rng`), so the
fixtures hold only PyTorch's outputs. The weights follow `Weights::hashed`:

    u(k, i)  = uniform01(seed, generation = k, item = 0, gene = i, stream = 7)
    weight i of tensor k (in Arch::params order) = (2 u − 1) · sqrt(3 / fan_in)
    bias i of tensor k                           = (2 u − 1) · 0.1

and image b's byte i (in (c, h, w) order) = floor(256 · uniform01(seed, 1000, b, i, 8)),
its input = (byte − mean[c]) / std[c]: for CaffeNet (BGR) the ILSVRC-2012 mean and std 1,
for AlexNet (RGB) torchvision's normalisation in pixel units (255 · its mean and std). The target class of each image is
its second most probable class (so its probability is neither 0 nor 1 in f32), stored as
`target`.

Usage (from the repository root, in a virtualenv with torch, numpy, safetensors):
    python3 tools/imagenet_fixture.py

Writes tests/fixtures/caffenet_hashed_seed7_div{1,8}.safetensors and
tests/fixtures/alexnet_hashed_seed7.safetensors: `logits`, `probs`
(2, 1000), `target` (2) and `grad_norm` (2), computed in float64 and stored as f32, and
`grad_samples` (2, S): the input gradient at every 97th element.
"""
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

SEED = 7
IMAGES = 2
STRIDE = 97
MEAN_BGR = (104.007, 116.669, 122.679)
M32 = 0xFFFFFFFF


def lowbias32(v):
    v = v.astype(np.uint64) & M32
    v ^= v >> 16
    v = (v * 0x7FEB352D) & M32
    v ^= v >> 15
    v = (v * 0x846CA68B) & M32
    v ^= v >> 16
    return v


def uniform01(seed, generation, item, gene, stream):
    gene = np.asarray(gene, dtype=np.uint64)
    h = lowbias32(gene ^ lowbias32(np.uint64(stream)))
    h = lowbias32(np.uint64(item) ^ h)
    h = lowbias32(np.uint64(generation) ^ h)
    h = lowbias32(np.uint64(seed) ^ h)
    return (h >> 8).astype(np.float64) / 16777216.0


class CaffeNet(torch.nn.Module):
    def __init__(self, d):
        super().__init__()
        c = lambda ci, co, k, s, p, g: torch.nn.Conv2d(ci, co, k, s, p, groups=g)
        self.conv1 = c(3, 96 // d, 11, 4, 0, 1)
        self.conv2 = c(96 // d, 256 // d, 5, 1, 2, 2)
        self.conv3 = c(256 // d, 384 // d, 3, 1, 1, 1)
        self.conv4 = c(384 // d, 384 // d, 3, 1, 1, 2)
        self.conv5 = c(384 // d, 256 // d, 3, 1, 1, 2)
        self.fc6 = torch.nn.Linear(256 // d * 36, 4096 // d)
        self.fc7 = torch.nn.Linear(4096 // d, 4096 // d)
        self.fc8 = torch.nn.Linear(4096 // d, 1000)
        self.pool = torch.nn.MaxPool2d(3, 2, ceil_mode=True)  # Caffe rounds up
        self.lrn = torch.nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=1.0)
        self.drop = torch.nn.Dropout(0.5)

    def forward(self, x):
        r = torch.relu
        x = self.lrn(self.pool(r(self.conv1(x))))
        x = self.lrn(self.pool(r(self.conv2(x))))
        x = r(self.conv3(x))
        x = r(self.conv4(x))
        x = self.pool(r(self.conv5(x)))
        x = self.drop(r(self.fc6(x.flatten(1))))
        x = self.drop(r(self.fc7(x)))
        return self.fc8(x)

    def params_in_order(self):
        for name in ["conv1", "conv2", "conv3", "conv4", "conv5", "fc6", "fc7", "fc8"]:
            layer = getattr(self, name)
            yield layer.weight
            yield layer.bias


def alexnet():
    import torchvision

    model = torchvision.models.alexnet(weights=None)
    names = ["features.0", "features.3", "features.6", "features.8", "features.10",
             "classifier.1", "classifier.4", "classifier.6"]
    layers = dict(model.named_modules())
    model.params_in_order = lambda: (p for n in names for p in (layers[n].weight, layers[n].bias))
    return model


def fixture(model, size, mean, std, out_name):
    model = model.double().eval()
    with torch.no_grad():
        for k, p in enumerate(model.params_in_order()):
            u = uniform01(SEED, k, 0, np.arange(p.numel(), dtype=np.uint64), 7)
            if p.dim() == 1:
                bound = 0.1
            else:
                bound = np.sqrt(3.0 / (p.numel() // p.shape[0]))
            w = ((2.0 * u - 1.0) * bound).astype(np.float32)  # the f32 values the engine holds
            p.copy_(torch.from_numpy(w.astype(np.float64)).reshape(p.shape))
    n = 3 * size * size
    inputs = []
    mean = np.array(mean, dtype=np.float32).astype(np.float64).reshape(3, 1, 1)
    std = np.array(std, dtype=np.float32).astype(np.float64).reshape(3, 1, 1)
    for b in range(IMAGES):
        u = uniform01(SEED, 1000, b, np.arange(n, dtype=np.uint64), 8)
        byte = np.floor(256.0 * u).reshape(3, size, size)
        inputs.append((byte - mean) / std)
    x = torch.tensor(np.stack(inputs), dtype=torch.float64, requires_grad=True)
    logits = model(x)
    probs = torch.softmax(logits, dim=1)
    targets = probs.argsort(dim=1, descending=True)[:, 1].tolist()
    probs[range(IMAGES), targets].sum().backward()
    grad = x.grad.reshape(IMAGES, -1)
    out = Path("tests/fixtures") / out_name
    meta = {"script": "tools/imagenet_fixture.py", "seed": str(SEED),
            "torch": torch.__version__, "sample_stride": str(STRIDE)}
    save_file({
        "logits": logits.detach().float(),
        "probs": probs.detach().float(),
        "grad_norm": grad.norm(dim=1).float(),
        "grad_samples": grad[:, ::STRIDE].contiguous().float(),
        "target": torch.tensor(targets, dtype=torch.float32),
    }, out, metadata=meta)
    print(f"{out}: top class {probs.argmax(1).tolist()}, p_target "
          f"{probs[range(IMAGES), targets].tolist()}, |grad| {grad.norm(dim=1).tolist()}")


if __name__ == "__main__":
    for d in (8, 1):
        fixture(CaffeNet(d), 227, MEAN_BGR, (1.0, 1.0, 1.0),
                f"caffenet_hashed_seed{SEED}_div{d}.safetensors")
    fixture(alexnet(), 224, [255 * m for m in (0.485, 0.456, 0.406)],
            [255 * s for s in (0.229, 0.224, 0.225)], f"alexnet_hashed_seed{SEED}.safetensors")
