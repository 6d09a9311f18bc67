#!/usr/bin/env python3
"""Fixture: OpenCV's 8-bit colour conversions, the reference for `render_color`.

Usage (from the repository root, in a virtualenv with opencv-python-headless and numpy):
    python3 tools/opencv_color_fixture.py

The authors' code stored each pixel as three 8-bit HLS values and converted them with
OpenCV's HLS2BGR (hue on a 0-180 scale, so bytes 180-255 wrap around); our `hsv` model is
OpenCV's HSV2BGR_FULL (hue on the full byte range). Writes
tests/fixtures/opencv_color.json: {"opencv": version, "seed": 0,
"hls2bgr": [[h, l, s, b, g, r], ...], "hsv2bgr_full": [[h, s, v, b, g, r], ...]}: 4,000
random triples, every hue at two lightnesses/values and saturations, and grey (s = 0) cases.
"""
import json
from pathlib import Path

import cv2
import numpy as np

SEED = 0


def triples():
    rng = np.random.default_rng(SEED)
    t = [list(v) for v in rng.integers(0, 256, size=(4000, 3))]
    for h in range(256):
        t += [[h, 128, 255], [h, 60, 200], [h, 200, 90], [h, 255, 255]]
    t += [[h, l, 0] for h in (0, 90, 200) for l in (0, 1, 127, 128, 254, 255)]
    return np.array(t, dtype=np.uint8)


def main():
    t = triples()
    out = {"opencv": cv2.__version__, "seed": SEED, "script": "tools/opencv_color_fixture.py"}
    for name, code in (("hls2bgr", cv2.COLOR_HLS2BGR), ("hsv2bgr_full", cv2.COLOR_HSV2BGR_FULL)):
        bgr = cv2.cvtColor(t.reshape(-1, 1, 3), code).reshape(-1, 3)
        out[name] = np.concatenate([t, bgr], axis=1).astype(int).tolist()
    path = Path("tests/fixtures/opencv_color.json")
    path.write_text(json.dumps(out, separators=(",", ":")) + "\n")
    print(f"wrote {path}: {len(t)} triples per conversion, OpenCV {cv2.__version__}")


if __name__ == "__main__":
    main()
