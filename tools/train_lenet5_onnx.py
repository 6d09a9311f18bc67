#!/usr/bin/env python3
"""Train a LeNet-5-style network in PyTorch (CPU) on data/mnist-10k and ship it as ONNX: an
MNIST target built by another framework, for `fooling transfer` and `fooling evolve --net
weights/lenet5_mnist_torch.onnx`.

Usage (from the repository root, in a virtualenv with torch, onnx, onnxscript, onnxruntime,
numpy):
    python3 tools/train_lenet5_onnx.py

The network (LeCun et al. 1998, with ReLUs and max-pooling as it is commonly written today):
conv 6×5×5 pad 2 → ReLU → max-pool 2 → conv 16×5×5 → ReLU → max-pool 2 → flatten → fc 120 →
ReLU → fc 84 → ReLU → fc 10. Input: torchvision's MNIST normalisation, x = (pixel/255 −
0.1307) / 0.3081, which the sidecar file beside the model tells `fooling`. Trained with Adam
(lr 1e-3, batch 64, 15 epochs of the 8,000 training digits, the learning rate halved every
5 epochs), random shifts of up to 2 pixels, seed 0.

Writes weights/lenet5_mnist_torch.onnx (the dynamo exporter, weights inline), its sidecar
weights/lenet5_mnist_torch.onnx.toml, its model card weights/lenet5_mnist_torch.md, and
tests/fixtures/lenet5_mnist_torch_digits.json: the probabilities PyTorch (float64) gives each
data/digits/*.png.
"""
import hashlib
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).parent))
from lenet_torch import read_idx  # noqa: E402
from train_lenet_torch import png_grey  # noqa: E402

warnings.filterwarnings("ignore")
SEED = 0
EPOCHS = 15
MEAN, STD = 0.1307, 0.3081
OUT = Path("weights/lenet5_mnist_torch.onnx")


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


def load(split):
    x = read_idx(f"data/mnist-10k/{split}-images-idx3-ubyte.gz").astype(np.float64)
    y = read_idx(f"data/mnist-10k/{split}-labels-idx1-ubyte.gz").astype(np.int64)
    return torch.from_numpy((x / 255 - MEAN) / STD).float().unsqueeze(1), torch.from_numpy(y)


def shifted(x, g):
    """Each image moved by up to 2 pixels in each direction (zero-padded)."""
    pad = F.pad(x, (2, 2, 2, 2), value=(0 - MEAN) / STD)
    out = torch.empty_like(x)
    dy = torch.randint(0, 5, (len(x),), generator=g)
    dx = torch.randint(0, 5, (len(x),), generator=g)
    for i in range(len(x)):
        out[i] = pad[i, :, dy[i]:dy[i] + 28, dx[i]:dx[i] + 28]
    return out


def main():
    torch.manual_seed(SEED)
    g = torch.Generator().manual_seed(SEED)
    (xt, yt), (xh, yh) = load("train"), load("heldout")
    model = LeNet5()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.StepLR(opt, 5, 0.5)
    for epoch in range(EPOCHS):
        model.train()
        order = torch.randperm(len(xt), generator=g)
        for i in range(0, len(xt), 64):
            idx = order[i:i + 64]
            loss = F.cross_entropy(model(shifted(xt[idx], g)), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
        model.eval()
        with torch.no_grad():
            acc = (model(xh).argmax(1) == yh).float().mean().item()
        print(f"epoch {epoch + 1}: loss {loss.item():.4f}, held-out accuracy {100 * acc:.2f}%")
    model.eval()
    x = xh[:1]
    if OUT.exists():
        OUT.unlink()
    torch.onnx.export(model, (x,), str(OUT), dynamo=True, external_data=False)
    sess = ort.InferenceSession(str(OUT), providers=["CPUExecutionProvider"])
    feed = sess.get_inputs()[0].name
    ort_acc = np.mean([sess.run(None, {feed: xh[i:i + 1].numpy()})[0].argmax() == yh[i].item()
                       for i in range(len(xh))])
    print(f"onnxruntime on the exported model: held-out accuracy {100 * ort_acc:.2f}%")
    Path(str(OUT) + ".toml").write_text(
        "# torchvision's MNIST normalisation: x = (pixel / 255 - mean) / std\n"
        f"mean = [{MEAN}]\nstd = [{STD}]\nchannels = \"grey\"\n")
    digits = {}
    m64 = model.double()
    for p in sorted(Path("data/digits").glob("*.png")):
        px = torch.tensor(png_grey(p), dtype=torch.float64).view(1, 1, 28, 28)
        with torch.no_grad():
            digits[p.name] = torch.softmax(m64((px / 255 - MEAN) / STD), 1)[0].tolist()
    Path("tests/fixtures/lenet5_mnist_torch_digits.json").write_text(json.dumps(digits, indent=1) + "\n")
    sha = hashlib.sha256(OUT.read_bytes()).hexdigest()
    opset = onnx.load(str(OUT)).opset_import[0].version
    Path("weights/lenet5_mnist_torch.md").write_text(f"""# Model card: `lenet5_mnist_torch.onnx`

A LeNet-5-style network **trained by PyTorch** {torch.__version__} on the CPU and exported to
ONNX: an MNIST target built by another framework, for `fooling transfer` from the shipped
LeNet and for `fooling evolve --net weights/lenet5_mnist_torch.onnx`. Its preprocessing is in
the sidecar `lenet5_mnist_torch.onnx.toml`.

| | |
|---|---|
| architecture | conv 6×5×5 pad 2 → ReLU → max-pool 2 → conv 16×5×5 → ReLU → max-pool 2 → fc 120 → ReLU → fc 84 → ReLU → fc 10 (61,706 parameters) |
| input | (1, 1, 28, 28), x = (pixel/255 − {MEAN}) / {STD} (torchvision's MNIST normalisation) |
| data | `data/mnist-10k/train-*` (8,000 real MNIST digits; see `data/README.md`) |
| recipe | Adam, lr 1e-3 halved every 5 epochs, batch 64, {EPOCHS} epochs, random shifts of up to 2 pixels, seed {SEED} |
| held-out accuracy | {100 * acc:.2f}% on the 2,000 digits of `data/mnist-10k/heldout-*` (onnxruntime on the exported file: {100 * ort_acc:.2f}%) |
| file | ONNX opset {opset}, PyTorch's dynamo exporter, weights inline |
| sha256 | `{sha}` |
| command | `python3 tools/train_lenet5_onnx.py` (torch, onnx, onnxscript, onnxruntime, numpy in a virtualenv) |
""")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes), its sidecar and model card; sha256 {sha}")


if __name__ == "__main__":
    main()
