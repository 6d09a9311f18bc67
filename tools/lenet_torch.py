"""Caffe's MNIST LeNet in PyTorch, with our tensor names; shared by the fixture scripts."""
import gzip
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class LeNet(nn.Module):
    """conv1 20x5x5 -> maxpool 2/2 -> conv2 50x5x5 -> maxpool 2/2 -> ip1 500 + ReLU -> ip2 10."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 20, 5)
        self.conv2 = nn.Conv2d(20, 50, 5)
        self.ip1 = nn.Linear(800, 500)
        self.ip2 = nn.Linear(500, 10)

    def forward(self, x):
        x = F.max_pool2d(self.conv1(x), 2, 2, ceil_mode=True)
        x = F.max_pool2d(self.conv2(x), 2, 2, ceil_mode=True)
        x = F.relu(self.ip1(x.flatten(1)))
        return self.ip2(x)


def state(model):
    """Our safetensors layout: f32, contiguous, Caffe's layer names."""
    return {k: v.detach().to(torch.float32).contiguous() for k, v in model.state_dict().items()}


def read_idx(path):
    """An IDX file (raw or gzip) as a numpy array."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    assert zero == 0 and dtype == 0x08, f"{path}: not an unsigned-byte IDX file"
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data[4 + 4 * ndim:], dtype=np.uint8).reshape(dims)
