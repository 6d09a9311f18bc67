#!/usr/bin/env python3
"""Fixtures: small ONNX models the importer must refuse, each for one reason
(tests/fixtures/onnx/bad/NAME.onnx; tests/suite/onnx.rs names them and the words its error
must hold).

Usage (a virtualenv with onnx and numpy):
    python3 tools/onnx_bad_fixtures.py
"""
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "onnx"


def bad_models():
    """Small models the importer must refuse, each for one reason (tests/suite/onnx.rs names them)."""
    from onnx import TensorProto, helper, numpy_helper, save
    bad = OUT / "bad"
    bad.mkdir(exist_ok=True)
    img = lambda name="image", t=TensorProto.FLOAT, shape=(1, 3, 8, 8): helper.make_tensor_value_info(name, t, shape)
    out = lambda name="scores", shape=(1, 10): helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)
    w = numpy_helper.from_array(np.full((10, 192), 0.01, np.float32), "fc.weight")

    def model(name, nodes, inputs, outputs, inits=(), opset=17):
        g = helper.make_graph(nodes, name, inputs, outputs, list(inits))
        save(helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)]), str(bad / f"{name}.onnx"))

    flat = helper.make_node("Flatten", ["t"], ["f"], name="flatten")
    gemm = helper.make_node("Gemm", ["f", "fc.weight"], ["scores"], name="fc", transB=1)
    # an operator the engine does not have
    model("erf", [helper.make_node("Erf", ["image"], ["t"], name="gelu_part"), flat, gemm],
          [img()], [out()], [w])
    # a quantized model
    scale = numpy_helper.from_array(np.array(0.1, np.float32), "scale")
    model("int8", [helper.make_node("QuantizeLinear", ["image", "scale"], ["t"], name="quantize"), flat, gemm],
          [img()], [out()], [w, scale])
    # a half-precision input
    model("f16", [helper.make_node("Flatten", ["image"], ["f"], name="flatten"), gemm],
          [img(t=TensorProto.FLOAT16)], [out()], [w])
    # half-precision weights
    w16 = numpy_helper.from_array(np.full((10, 192), 0.01, np.float16), "fc.weight")
    model("f16_weights", [helper.make_node("Flatten", ["image"], ["f"], name="flatten"), gemm], [img()], [out()], [w16])
    # two outputs
    model("two_outputs", [helper.make_node("Flatten", ["image"], ["f"], name="flatten"), gemm,
                          helper.make_node("Identity", ["f"], ["features"], name="copy")],
          [img()], [out(), out("features", (1, 192))], [w])
    # a vector, not an image
    model("vector_input", [helper.make_node("Gemm", ["image", "fc.weight"], ["scores"], name="fc", transB=1)],
          [img(shape=(1, 192))], [out()], [w])
    # an opset before the ones read
    model("opset9", [helper.make_node("Flatten", ["image"], ["f"], name="flatten"), gemm], [img()], [out()], [w], opset=9)
    # an attribute the engine does not take: dilated max-pooling
    model("dilated_pool", [helper.make_node("MaxPool", ["image"], ["t"], name="pool", kernel_shape=[2, 2],
                                            strides=[1, 1], dilations=[2, 2]),
                           helper.make_node("Flatten", ["t"], ["f"], name="flatten"),
                           helper.make_node("Gemm", ["f", "w36"], ["scores"], name="fc", transB=1)],
          [img()], [out()], [numpy_helper.from_array(np.full((10, 108), 0.01, np.float32), "w36")])



if __name__ == "__main__":
    bad_models()
