#!/usr/bin/env python3
"""Fixtures: PaddlePaddle classifiers as paddle2onnx writes them, and what onnxruntime computes.

Each model is built in Paddle (random weights, seeded), saved for inference the way Paddle
deploys (`paddle.jit.save` with a dynamic batch), converted by paddle2onnx (`paddle2onnx.export`,
what the `paddle2onnx --model_dir` command runs), unmodified, and run by onnxruntime:

    tests/fixtures/onnx/paddle/NAME.onnx
    tests/fixtures/onnx/paddle/NAME.io.safetensors
        pixels (3, C, H, W) u8   three images of random bytes
        probs  (3, K) f32        onnxruntime's probabilities
        paddle (3, K) f32        Paddle's own, for the record
        mean, std (C) f32        the preprocessing, x = (pixel / 255 - mean) / std

Models:
    mobilenetv3   paddle.vision's MobileNetV3-Small (scale 0.5, 7 classes, 64x64) with a
                  softmax after it, as PaddleClas exports its classifiers
    textcls       a small text-direction classifier in PaddleOCR's style (48x96 input, two
                  classes); and textcls_identity.onnx, the same model with an Identity after
                  its softmax, as PaddleOCR's exported direction classifier ends

Usage (a virtualenv with paddlepaddle, paddle2onnx, onnxruntime, numpy<2, safetensors):
    python3 tools/paddle_fixture.py
"""
import tempfile
from pathlib import Path

import numpy as np
import onnxruntime as ort
import paddle
import paddle2onnx
from safetensors.numpy import save_file

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "onnx" / "paddle"
MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)


class WithSoftmax(paddle.nn.Layer):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return paddle.nn.functional.softmax(self.net(x), axis=-1)


class TextCls(paddle.nn.Layer):
    """PaddleOCR's direction classifier in miniature: conv, BN, hard swish, pooling, FC."""

    def __init__(self):
        super().__init__()
        n = paddle.nn
        self.body = n.Sequential(
            n.Conv2D(3, 8, 3, stride=2, padding=1), n.BatchNorm2D(8), n.Hardswish(),
            n.Conv2D(8, 16, 3, stride=2, padding=1, groups=8), n.BatchNorm2D(16), n.ReLU(),
            n.Conv2D(16, 16, 1), n.BatchNorm2D(16), n.Hardswish(),
            n.AdaptiveAvgPool2D(1),
        )
        self.fc = n.Linear(16, 2)

    def forward(self, x):
        y = self.fc(paddle.flatten(self.body(x), 1))
        return paddle.nn.functional.softmax(y, axis=1)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    models = [
        ("mobilenetv3", lambda: WithSoftmax(paddle.vision.models.mobilenet_v3_small(scale=0.5, num_classes=7)), (64, 64)),
        ("textcls", TextCls, (48, 96)),
    ]
    for seed, (name, make, (h, w)) in enumerate(models):
        paddle.seed(seed)
        model = make()
        # batch-norm statistics that matter
        for layer in model.sublayers():
            if isinstance(layer, paddle.nn.BatchNorm2D):
                c = layer._mean.shape[0]
                rng = np.random.default_rng(seed)
                layer._mean.set_value(rng.uniform(-0.1, 0.1, c).astype(np.float32))
                layer._variance.set_value(rng.uniform(0.5, 1.5, c).astype(np.float32))
        model.eval()
        rng = np.random.default_rng(200 + seed)
        pixels = rng.integers(0, 256, size=(3, 3, h, w)).astype(np.uint8)
        x = ((pixels.astype(np.float32) / 255 - MEAN[:, None, None]) / STD[:, None, None]).astype(np.float32)
        paddle_p = model(paddle.to_tensor(x)).numpy()
        with tempfile.TemporaryDirectory() as tmp:
            prefix = str(Path(tmp) / "inference")
            spec = [paddle.static.InputSpec([None, 3, h, w], "float32", "x")]
            paddle.jit.save(model, prefix, input_spec=spec)
            files = sorted(p.name for p in Path(tmp).iterdir())
            model_file = next(Path(tmp) / f for f in files if f.endswith((".json", ".pdmodel")))
            path = OUT / f"{name}.onnx"
            paddle2onnx.export(str(model_file), prefix + ".pdiparams", str(path), opset_version=13)
        sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        probs = sess.run(None, {sess.get_inputs()[0].name: x})[0]
        diff = float(np.abs(probs - paddle_p).max())
        assert diff < 1e-4, (name, diff)
        print(f"{path.name}: onnxruntime against Paddle, max |diff| {diff:.2e}")
        if name == "textcls":
            import onnx
            from onnx import helper
            m = onnx.load(str(path))
            out = m.graph.output[0]
            soft = next(n for n in m.graph.node if out.name in n.output)
            soft.output[0] = out.name + "_softmax"
            m.graph.node.append(helper.make_node("Identity", [soft.output[0]], [out.name], name="fetch"))
            onnx.save(m, str(OUT / "textcls_identity.onnx"))
        save_file(
            {
                "pixels": pixels,
                "probs": probs.astype(np.float32),
                "paddle": paddle_p.astype(np.float32),
                "mean": MEAN,
                "std": STD,
            },
            str(OUT / f"{name}.io.safetensors"),
        )


if __name__ == "__main__":
    main()
