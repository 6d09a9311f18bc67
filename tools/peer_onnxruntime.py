#!/usr/bin/env python3
"""onnxruntime's inference of an ONNX model on the CPU, the peer `cargo bench --bench dogs`
holds fooling's forward pass against: the same model, the same batch, the same machine, in
the same run.

    python tools/peer_onnxruntime.py --model weights/dogs_mobilenetv2.onnx --batch 20 \
        [--threads N] [--seconds 3]

Denormals are flushed to zero (session config `session.set_denormal_as_zero`), as a GPU
does; inputs are uniform in [0, 1) (a seeded generator), in the model's own layout. Prints
one JSON line: images/s (the median of timed runs after a warm-up) and what ran it.
"""
import argparse
import json
import statistics
import time

import numpy as np
import onnxruntime as ort


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--batch", type=int, default=20)
    ap.add_argument("--threads", type=int, default=0, help="0: onnxruntime's choice")
    ap.add_argument("--seconds", type=float, default=3.0)
    a = ap.parse_args()
    so = ort.SessionOptions()
    so.add_session_config_entry("session.set_denormal_as_zero", "1")
    if a.threads:
        so.intra_op_num_threads = a.threads
    sess = ort.InferenceSession(a.model, so, providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0]
    shape = [a.batch if not isinstance(d, int) or i == 0 else d for i, d in enumerate(inp.shape)]
    x = np.random.default_rng(0).random(shape, dtype=np.float32)
    sess.run(None, {inp.name: x})  # warm-up
    times = []
    start = time.perf_counter()
    while time.perf_counter() - start < a.seconds or len(times) < 3:
        t = time.perf_counter()
        sess.run(None, {inp.name: x})
        times.append(time.perf_counter() - t)
    print(json.dumps({
        "images_per_s": a.batch / statistics.median(times),
        "batch": a.batch,
        "runs": len(times),
        "onnxruntime": ort.__version__,
        "threads": a.threads or "default",
        "input": shape,
    }))


if __name__ == "__main__":
    main()
