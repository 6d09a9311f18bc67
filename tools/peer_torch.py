#!/usr/bin/env python3
"""The peer: `fooling evolve`'s MNIST loop written in PyTorch, to hold our throughput against.

The same loop as `fooling evolve` with its defaults (docs/paper.md §2 and §3): MAP-Elites
with one cell per class of Caffe's LeNet (weights read from our safetensors file), the
direct encoding (784 genes in [0, 1), drawn uniformly at the start), B children per
generation, each a copy of a parent drawn uniformly over the cells with polynomial mutation
(η = 15) of each gene with probability 0.1, rendered as floor(g · 255) / 256, classified,
and inserted into every cell whose confidence it beats; the cells' confidences are read
back to the host every generation (as `--stats-every 1` does). Random numbers are PyTorch's,
not the crate's counter hash: the same work, not the same run.

Usage (a virtualenv with torch, numpy, safetensors):
    python3 tools/peer_torch.py [--device cpu|cuda] [--batch 200] [--generations 200]
        [--threads N] [--weights weights/lenet_mnist.safetensors] [--seconds S]

Prints one JSON object: device, threads, torch version, B, generations, seconds,
evaluations/s and the final median confidence. `cargo bench --bench evolve` runs it when
FOOLING_PEER_PYTHON names a Python with torch.
"""
import argparse
import json
import sys
import time
from pathlib import Path

import torch
from safetensors.torch import load_file

sys.path.insert(0, str(Path(__file__).parent))
from lenet_torch import LeNet  # noqa: E402


def poly_mutate(genes, rate, eta, g):
    """Polynomial mutation of each gene with probability `rate`, clamped to [0, 1]."""
    u = torch.rand(genes.shape, generator=g, device=genes.device)
    pick = torch.rand(genes.shape, generator=g, device=genes.device) < rate
    p = 1.0 / (eta + 1.0)
    delta = torch.where(u < 0.5, (2 * u).pow(p) - 1, 1 - (2 * (1 - u)).pow(p))
    return torch.where(pick, (genes + delta).clamp(0, 1), genes)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--generations", type=int, default=200)
    ap.add_argument("--threads", type=int, default=0, help="CPU threads (0: PyTorch's default)")
    ap.add_argument("--weights", default="weights/lenet_mnist.safetensors")
    ap.add_argument("--seconds", type=float, default=0.0, help="stop after this long (0: never)")
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    dev = torch.device(a.device)
    net = LeNet()
    net.load_state_dict(load_file(a.weights))
    net = net.to(dev).eval()
    g = torch.Generator(device=dev).manual_seed(0)
    cells, n = 10, 784

    @torch.no_grad()
    def evaluate(genes):
        x = (genes * 255).floor().div(256).view(-1, 1, 28, 28)
        return torch.softmax(net(x), 1)

    genes = torch.rand((a.batch, n), generator=g, device=dev)
    probs = evaluate(genes)
    conf, win = probs.max(0)  # the lowest index wins ties, as in ours
    archive = genes[win].clone()
    conf.cpu()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    done = 0
    for gen in range(a.generations):
        parents = torch.randint(0, cells, (a.batch,), generator=g, device=dev)
        children = poly_mutate(archive[parents], 0.1, 15.0, g)
        probs = evaluate(children)
        best, who = probs.max(0)
        better = best > conf
        archive[better] = children[who[better]]
        conf = torch.where(better, best, conf)
        host = conf.cpu()  # the per-generation readback
        done += 1
        if a.seconds and time.perf_counter() - start > a.seconds:
            break
    secs = time.perf_counter() - start
    print(json.dumps({
        "peer": "PyTorch",
        "torch": torch.__version__,
        "device": str(dev) if dev.type == "cpu" else torch.cuda.get_device_name(dev),
        "threads": torch.get_num_threads(),
        "batch": a.batch,
        "generations": done,
        "seconds": round(secs, 3),
        "evaluations_per_s": round(done * a.batch / secs, 1),
        "median_confidence": round(float(host.median()), 6),
    }))


if __name__ == "__main__":
    main()
