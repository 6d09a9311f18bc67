#!/usr/bin/env python3
"""Writes torchvision's ResNet-18 as an ONNX model (opset 13) with seeded random weights, as
PyTorch's exporters write it for inference: batch normalisation folded into the
convolutions, Conv → Relu, residual Add, GlobalAveragePool, Flatten, Gemm; input
`input` of shape [N, 3, H, W] with a dynamic batch, output `logits` [N, 1000].

`cargo bench --bench resnet` runs it (with the Python of FOOLING_PEER_PYTHON) to hold
fooling's forward pass against onnxruntime's on the same model file, in the same run; the
weights' values do not matter to either's speed (He-scaled, so activations stay in range).

    python tools/resnet18_onnx.py --out FILE.onnx [--width-divisor 1] [--side 224] [--seed 0]

Needs numpy and onnx.
"""
import argparse

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class Graph:
    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits, self.count = [], [], 0

    def name(self, what):
        self.count += 1
        return f"{what}{self.count}"

    def tensor(self, what, array):
        n = self.name(what)
        self.inits.append(numpy_helper.from_array(array.astype(np.float32), n))
        return n

    def conv(self, x, c_in, c_out, k, stride, relu):
        fan_in = c_in * k * k
        w = self.rng.standard_normal((c_out, c_in, k, k)) * np.sqrt(2.0 / fan_in)
        b = self.rng.standard_normal(c_out) * 0.01
        y = self.name("conv")
        self.nodes.append(helper.make_node(
            "Conv", [x, self.tensor("w", w), self.tensor("b", b)], [y],
            kernel_shape=[k, k], strides=[stride, stride], pads=[k // 2] * 4))
        return self.relu(y) if relu else y

    def relu(self, x):
        y = self.name("relu")
        self.nodes.append(helper.make_node("Relu", [x], [y]))
        return y

    def op(self, kind, inputs, **attrs):
        y = self.name(kind.lower())
        self.nodes.append(helper.make_node(kind, inputs, [y], **attrs))
        return y


def resnet18(d, side, seed):
    g = Graph(seed)
    c = 64 // d
    x = g.conv("input", 3, c, 7, 2, True)
    x = g.op("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    for stage, width in enumerate([64, 128, 256, 512]):
        for block in range(2):
            stride = 2 if stage > 0 and block == 0 else 1
            out = width // d
            y = g.conv(x, c, out, 3, stride, True)
            y = g.conv(y, out, out, 3, 1, False)
            short = g.conv(x, c, out, 1, stride, False) if stride != 1 or c != out else x
            x = g.relu(g.op("Add", [y, short]))
            c = out
    x = g.op("GlobalAveragePool", [x])
    x = g.op("Flatten", [x], axis=1)
    w = g.rng.standard_normal((1000, c)) * np.sqrt(1.0 / c)
    b = g.rng.standard_normal(1000) * 0.01
    g.nodes.append(helper.make_node(
        "Gemm", [x, g.tensor("fc_w", w), g.tensor("fc_b", b)], ["logits"], transB=1))
    graph = helper.make_graph(
        g.nodes, "resnet18" if d == 1 else f"resnet18_div{d}",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, side, side])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 1000])],
        g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    onnx.checker.check_model(model)
    return model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--width-divisor", type=int, default=1)
    ap.add_argument("--side", type=int, default=224)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    onnx.save(resnet18(a.width_divisor, a.side, a.seed), a.out)


if __name__ == "__main__":
    main()
