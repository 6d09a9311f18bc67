#!/usr/bin/env python3
"""Fixtures: user networks as ONNX files, exported by PyTorch with both of its exporters,
and what PyTorch computes with them.

For each network (torchvision's ResNet-18, MobileNetV2, SqueezeNet 1.1, DenseNet-121 and
EfficientNet-B0, narrowed so that the suite stays fast, and a VGG-style net), with weights
drawn from the crate's counter-based hash (`fooling::evo::rng::uniform01`, reproduced here in
numpy), this script writes

    tests/fixtures/onnx/NAME.torchscript.onnx   TorchScript exporter (dynamo=False), weights inline
    tests/fixtures/onnx/NAME.dynamo.onnx        dynamo exporter (dynamo=True, PyTorch's default
                                                since 2.9), weights in NAME.dynamo.onnx.data
    tests/fixtures/onnx/NAME.io.safetensors     three images and what PyTorch makes of them

The `.io.safetensors` file holds, computed in float64 and stored as f32:
    pixels  (3, C, H, W)  u8: three images (image b's byte i in (c, h, w) order
                          = floor(256 · uniform01(SEED, 1000, b, i, 8)))
    input   (3, C, H, W)  the network's input, (pixels / 255 − mean) / std
    logits, probs (3, 10)
    target  (3)           each image's second most probable class
    grad    (3, C, H, W)  d probs[b, target[b]] / d input

Weights: parameter k of the module's state_dict (floating tensors, in order) element i is
u = uniform01(SEED, k, 0, i, 7); convolution and linear weights (2u − 1) · sqrt(6 / fan_in)
(He's uniform bound, so deep random nets keep their scale), biases (2u − 1) · 0.1; batch
normalisation: weight 0.8 + 0.4u, bias (2u − 1) · 0.1, running mean (2u − 1) · 0.1, running
variance 0.5 + u. EfficientNet's classifier weights are then scaled by 30 and ResNet's by
0.1 (their random features are small or large: their probabilities would otherwise be all
near uniform, or saturated).

Each exported file is checked with onnxruntime against PyTorch before it is written. Colour
networks take torchvision's ImageNet normalisation; `resnet18` gets it from a sidecar file
(`NAME.*.onnx.toml`), the others from the tests' command line.

Usage (from the repository root, in a virtualenv with torch, torchvision, onnx, onnxscript,
onnxruntime, numpy, safetensors):
    python3 tools/onnx_fixture.py
"""
import os
import warnings
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
import torchvision
from safetensors.torch import save_file
from torch import nn

warnings.filterwarnings("ignore")
SEED = 11
IMAGES = 3
OUT = Path("tests/fixtures/onnx")
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
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


def hashed(model):
    """Sets every floating tensor of the state dict from the counter hash (see the doc)."""
    state = model.state_dict()
    k = 0
    kinds = {}
    for name, mod in model.named_modules():
        for p in ("weight", "bias", "running_mean", "running_var"):
            kinds[f"{name}.{p}" if name else p] = (type(mod), p)
    for name, t in state.items():
        if not t.is_floating_point():
            continue
        u = torch.from_numpy(uniform01(SEED, k, 0, np.arange(t.numel()), 7)).reshape(t.shape)
        kind, p = kinds.get(name, (None, name.rsplit(".", 1)[-1]))
        if kind in (nn.BatchNorm2d, nn.BatchNorm1d):
            v = {"weight": 0.8 + 0.4 * u, "bias": (2 * u - 1) * 0.1,
                 "running_mean": (2 * u - 1) * 0.1, "running_var": 0.5 + u}[p]
        elif p == "weight" and t.dim() > 1:
            fan_in = t[0].numel()
            v = (2 * u - 1) * (6.0 / fan_in) ** 0.5
        else:
            v = (2 * u - 1) * 0.1
        state[name] = v.to(t.dtype)
        k += 1
    model.load_state_dict(state)
    return model


class NarrowResNet18(torchvision.models.resnet.ResNet):
    """torchvision's ResNet-18 at an eighth of its width (8, 16, 32, 64 channels)."""

    def __init__(self, widths=(8, 16, 32, 64), num_classes=10):
        nn.Module.__init__(self)
        block = torchvision.models.resnet.BasicBlock
        self._norm_layer = nn.BatchNorm2d
        self.inplanes, self.dilation, self.groups, self.base_width = widths[0], 1, 1, 64
        self.conv1 = nn.Conv2d(3, widths[0], 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = self._make_layer(block, widths[0], 2)
        self.layer2 = self._make_layer(block, widths[1], 2, stride=2)
        self.layer3 = self._make_layer(block, widths[2], 2, stride=2)
        self.layer4 = self._make_layer(block, widths[3], 2, stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(widths[3], num_classes)


def vgg_style():
    """A VGG-style net: 3×3 convolutions with batch norm, max-pools, flatten, two linears."""
    layers, c = [], 3
    for v in (16, "M", 32, "M", 64, 64, "M"):
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(c, v, 3, padding=1), nn.BatchNorm2d(v), nn.ReLU(inplace=True)]
            c = v
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(64 * 4 * 4, 128), nn.ReLU(inplace=True),
                         nn.Dropout(0.5), nn.Linear(128, 10))


def efficientnet_b0_narrow():
    from torchvision.models.efficientnet import EfficientNet, _efficientnet_conf
    setting, last = _efficientnet_conf("efficientnet_b0", width_mult=0.25, depth_mult=0.34)
    return EfficientNet(setting, 0.2, last_channel=last, num_classes=10)


# networks whose random features come out small (or large): their classifier's weights
# scaled, so that their probabilities are neither all near uniform nor saturated
CLASSIFIER_SCALE = {"efficientnet_b0": ("classifier.1.weight", 30.0), "resnet18": ("fc.weight", 0.1)}


NETWORKS = {
    # name: (module, input (C, H, W))
    "resnet18": (NarrowResNet18, (3, 64, 64)),
    "mobilenet_v2": (lambda: torchvision.models.mobilenet_v2(width_mult=0.25, num_classes=10), (3, 64, 64)),
    "squeezenet1_1": (lambda: torchvision.models.squeezenet1_1(num_classes=10), (3, 64, 64)),
    "densenet121": (lambda: torchvision.models.DenseNet(growth_rate=8, block_config=(6, 12, 24, 16),
                                                        num_init_features=16, bn_size=2, num_classes=10),
                    (3, 64, 64)),
    "efficientnet_b0": (efficientnet_b0_narrow, (3, 64, 64)),
    "vgg": (vgg_style, (3, 32, 32)),
}


def images(shape):
    n = int(np.prod(shape))
    return np.stack([np.floor(256 * uniform01(SEED, 1000, b, np.arange(n), 8)).reshape(shape)
                     for b in range(IMAGES)])


def export(model, x, path, dynamo):
    for stale in (path, Path(str(path) + ".data")):
        if stale.exists():
            stale.unlink()
    kwargs = {"input_names": ["image"], "output_names": ["scores"],
              "dynamic_axes": {"image": {0: "batch"}, "scores": {0: "batch"}}} if not dynamo else {}
    torch.onnx.export(model, (x,), str(path), dynamo=dynamo, **kwargs)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    mean = torch.tensor(MEAN, dtype=torch.float64).view(1, 3, 1, 1)
    std = torch.tensor(STD, dtype=torch.float64).view(1, 3, 1, 1)
    for name, (make, shape) in NETWORKS.items():
        torch.manual_seed(0)
        model = hashed(make()).eval()
        if name in CLASSIFIER_SCALE:
            key, factor = CLASSIFIER_SCALE[name]
            state = model.state_dict()
            state[key] = state[key] * factor
            model.load_state_dict(state)
        pixels = torch.from_numpy(images(shape))
        x64 = (pixels / 255 - mean) / std
        m64 = model.double()
        with torch.no_grad():
            logits = m64(x64)
        probs = torch.softmax(logits, 1)
        target = probs.argsort(1, descending=True)[:, 1]
        xg = x64.clone().requires_grad_(True)
        p = torch.softmax(m64(xg), 1)
        p.gather(1, target.view(-1, 1)).sum().backward()
        model = model.float()
        x32 = x64.float()
        for exporter in ("torchscript", "dynamo"):
            path = OUT / f"{name}.{exporter}.onnx"
            export(model, x32[:1], path, exporter == "dynamo")
            sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
            feed = sess.get_inputs()[0].name
            rows = [sess.run(None, {feed: x32[b:b + 1].numpy()})[0] for b in range(IMAGES)]
            got = np.concatenate(rows)
            err = np.abs(got - logits.numpy()).max() / max(1.0, np.abs(logits.numpy()).max())
            assert err < 1e-4, f"{path}: onnxruntime differs from PyTorch by {err}"
            print(f"{path}: {os.path.getsize(path)} bytes (+{os.path.getsize(str(path) + '.data') if Path(str(path) + '.data').exists() else 0} external); onnxruntime within {err:.1e} of PyTorch")
        f = lambda t: t.detach().to(torch.float32).contiguous()
        save_file({"pixels": pixels.to(torch.uint8).contiguous(), "input": f(x64), "logits": f(logits), "probs": f(probs),
                   "target": target.to(torch.int64).contiguous(), "grad": f(xg.grad)},
                  str(OUT / f"{name}.io.safetensors"))
        print(f"{name}: logits span {logits.min():.2f}..{logits.max():.2f}, top probabilities "
              f"{probs.max(1).values.numpy().round(3)}")
    for exporter in ("torchscript", "dynamo"):
        (OUT / f"resnet18.{exporter}.onnx.toml").write_text(
            "# torchvision's ImageNet normalisation: x = (pixel / 255 - mean) / std\n"
            f"mean = {list(MEAN)}\nstd = {list(STD)}\nchannels = \"rgb\"\n")


if __name__ == "__main__":
    main()
