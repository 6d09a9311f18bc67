#!/usr/bin/env python3
"""Cut the Fashion-MNIST slice the tests read (tests/fixtures/fashion-mnist-slice) from the
files Debian's `dataset-fashion-mnist` installs in /usr/share/datasets/fashion-mnist.

Usage (from the repository root; the standard library only):
    python3 tools/fashion_slice.py [SOURCE_DIR]

Writes the first 300 training images and the first 100 test images with their labels, as
gzipped IDX files under the official names (train-*, t10k-*), byte for byte the head of
each file (a header with the new count, then the images in their original order).
"""
import gzip
import struct
import sys
from pathlib import Path

SOURCE = Path(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist")
OUT = Path("tests/fixtures/fashion-mnist-slice")
COUNTS = {"train": 300, "t10k": 100}


def head(kind, split, n):
    data = gzip.open(SOURCE / f"{split}-{kind}-ubyte.gz").read()
    ndim = data[3]
    dims = list(struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim]))
    item = 1
    for d in dims[1:]:
        item *= d
    assert dims[0] >= n, f"{split}-{kind}: only {dims[0]} items"
    body = data[4 + 4 * ndim:4 + 4 * ndim + n * item]
    dims[0] = n
    header = data[:4] + struct.pack(">" + "I" * ndim, *dims)
    # mtime 0: the same bytes on every run
    with open(OUT / f"{split}-{kind}-ubyte.gz", "wb") as f:
        with gzip.GzipFile(fileobj=f, mode="wb", mtime=0) as g:
            g.write(header + body)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for split, n in COUNTS.items():
        head("images-idx3", split, n)
        head("labels-idx1", split, n)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
