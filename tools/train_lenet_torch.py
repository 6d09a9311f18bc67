#!/usr/bin/env python3
"""Train Caffe's MNIST LeNet in PyTorch (CPU) on data/mnist-10k: an independent model
against which `fooling classify` is checked on real digits.

Usage (from the repository root, in a virtualenv with torch, numpy, safetensors):
    python3 tools/train_lenet_torch.py

Caffe's recipe (docs/paper.md §5): SGD, batch 64, lr 0.01, momentum 0.9, weight decay
5e-4, `inv` policy (gamma 1e-4, power 0.75), 10,000 iterations, input = pixel/256,
"xavier" weights (uniform +-sqrt(3/fan_in)) and zero biases. Seeded: the same file on every
run with the same torch version on the same CPU.

Writes weights/lenet_mnist_torch.safetensors, its model card weights/lenet_mnist_torch.md,
and tests/fixtures/lenet_mnist_torch_digits.json: the probabilities PyTorch (float64) gives
each data/digits/*.png.
"""
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

sys.path.insert(0, str(Path(__file__).parent))
from lenet_torch import LeNet, read_idx, state  # noqa: E402

SEED = 0
ITERATIONS = 10_000


def load(split):
    x = read_idx(f"data/mnist-10k/{split}-images-idx3-ubyte.gz").astype(np.float32) / 256.0
    y = read_idx(f"data/mnist-10k/{split}-labels-idx1-ubyte.gz").astype(np.int64)
    return torch.from_numpy(x).unsqueeze(1), torch.from_numpy(y)


def png_grey(path):
    """Decode our 8-bit grey PNGs with the standard library (no Pillow needed)."""
    import struct
    import zlib
    data = Path(path).read_bytes()
    pos, idat, w, h = 8, b"", 0, 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour == 0, f"{path}: not 8-bit grey"
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    rows, prev = [], bytearray(w)
    for r in range(h):
        f, line = raw[r * (w + 1)], bytearray(raw[r * (w + 1) + 1:(r + 1) * (w + 1)])
        for i in range(w):
            a = line[i - 1] if i else 0
            b, c = prev[i], (prev[i - 1] if i else 0)
            p = {0: 0, 1: a, 2: b, 3: (a + b) // 2}.get(f)
            if p is None:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                p = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            line[i] = (line[i] + p) & 0xFF
        rows.append(bytes(line))
        prev = line
    return np.frombuffer(b"".join(rows), dtype=np.uint8).reshape(h, w)


def main():
    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    xtr, ytr = load("train")
    xte, yte = load("heldout")
    model = LeNet()
    for m in model.modules():
        if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):
            fan_in = m.weight[0].numel()
            bound = (3.0 / fan_in) ** 0.5
            torch.nn.init.uniform_(m.weight, -bound, bound)
            torch.nn.init.zeros_(m.bias)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda it: (1 + 1e-4 * it) ** -0.75)
    g = torch.Generator().manual_seed(SEED)
    order, pos = torch.randperm(len(xtr), generator=g), 0
    for it in range(ITERATIONS):
        if pos + 64 > len(order):
            order, pos = torch.randperm(len(xtr), generator=g), 0
        idx = order[pos:pos + 64]
        pos += 64
        loss = F.cross_entropy(model(xtr[idx]), ytr[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if (it + 1) % 2000 == 0:
            print(f"iteration {it + 1}: loss {loss.item():.4f}")
    model.eval()
    with torch.no_grad():
        acc = (model(xte).argmax(1) == yte).float().mean().item()
    print(f"held-out accuracy: {acc:.4f}")

    Path("weights").mkdir(exist_ok=True)
    wpath = Path("weights/lenet_mnist_torch.safetensors")
    meta = {"script": "tools/train_lenet_torch.py", "seed": str(SEED), "torch": torch.__version__,
            "iterations": str(ITERATIONS), "heldout_accuracy": f"{acc:.4f}"}
    save_file(state(model), wpath, metadata=meta)
    digest = hashlib.sha256(wpath.read_bytes()).hexdigest()

    expected = {}
    model = model.double()
    with torch.no_grad():
        for png in sorted(Path("data/digits").glob("*.png")):
            x = torch.from_numpy(png_grey(png).astype(np.float64) / 256.0).reshape(1, 1, 28, 28)
            expected[str(png)] = torch.softmax(model(x), dim=1)[0].tolist()
    Path("tests/fixtures/lenet_mnist_torch_digits.json").write_text(json.dumps(expected, indent=1) + "\n")

    Path("weights/lenet_mnist_torch.md").write_text(f"""# Model card: `lenet_mnist_torch.safetensors`

An **independent** LeNet: trained by PyTorch {torch.__version__} on the CPU, not by `fooling`.
It exists to check `fooling`'s kernels end to end against another framework on real
digits (`tests/suite/lenet.rs`, `tests/suite/cli.rs`).

| | |
|---|---|
| architecture | Caffe's MNIST LeNet (docs/paper.md §5), tensor names `conv1`, `conv2`, `ip1`, `ip2` |
| data | `data/mnist-10k/train-*` (8,000 real MNIST digits; see `data/README.md`) |
| recipe | SGD, batch 64, lr 0.01, momentum 0.9, weight decay 5e-4, `inv` (gamma 1e-4, power 0.75), {ITERATIONS} iterations, input = pixel/256, xavier init, seed {SEED} |
| held-out accuracy | {acc * 100:.2f}% on the 2,000 digits of `data/mnist-10k/heldout-*` |
| sha256 | `{digest}` |
| command | `python3 tools/train_lenet_torch.py` (torch, numpy, safetensors in a virtualenv) |
""")
    print(f"wrote {wpath} ({digest})")


if __name__ == "__main__":
    main()
