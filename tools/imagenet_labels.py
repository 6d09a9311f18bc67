"""Writes data/imagenet_labels.txt: the 1000 ILSVRC-2012 class names, one per line, in the
classifiers' output order, from torchvision (PyPI, BSD-3-Clause), which carries them as
torchvision.models._meta._IMAGENET_CATEGORIES.

    python -m venv .venv && .venv/bin/pip install torchvision pillow
    .venv/bin/python tools/imagenet_labels.py
"""

import hashlib
import pathlib

import torchvision
from torchvision.models._meta import _IMAGENET_CATEGORIES

assert len(_IMAGENET_CATEGORIES) == 1000
out = pathlib.Path(__file__).resolve().parent.parent / "data" / "imagenet_labels.txt"
text = "".join(name + "\n" for name in _IMAGENET_CATEGORIES)
out.write_text(text)
print(f"wrote {out} from torchvision {torchvision.__version__}: "
      f"sha256 {hashlib.sha256(text.encode()).hexdigest()}")
