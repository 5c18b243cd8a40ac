"""Where a query's encoding time goes in the numpy engine, and what a second core buys.

Issue 12 asks for a hybrid query p50 of 20 ms with metrics identical to sentence-transformers'.
Encoding is ~95% of a hybrid query; this script times one encoding's parts (matrix products,
GELU, LayerNorm, attention, embeddings) on the gold questions, then the whole encoding with
one and two OpenBLAS threads, in turns, and prints medians. Nothing is written.

Run from the project root:
    PYTHONPATH=. python scripts/encode_profile.py
"""
import json
import math
import statistics
import time
from collections import defaultdict
from contextlib import contextmanager

import numpy as np
from threadpoolctl import threadpool_limits

from qa import e5_numpy
from qa.embedding import load_embedder

PARTS: dict[str, float] = defaultdict(float)


@contextmanager
def part(name: str):
    start = time.perf_counter()
    yield
    PARTS[name] += time.perf_counter() - start


def timed_forward(model: e5_numpy.E5Numpy, ids: list[int]) -> None:
    """``E5Numpy._forward`` with each step timed into ``PARTS`` (same arithmetic)."""
    eps, nh, n, dim = model.hp["eps"], model.hp["heads"], len(ids), model.dim
    hd = dim // nh
    with part("embeddings"):
        x = model._word_rows(np.asarray(ids)) + model._pos[:n] + model._type0
        x = e5_numpy._layer_norm(x, *model._eln, eps)
    for ly in model._layers:
        with part("matmul"):
            qkv = x @ ly["qkv"][0]
        with part("attention"):
            qkv += ly["qkv"][1]
            q, k, v = qkv.reshape(n, 3, nh, hd).transpose(1, 2, 0, 3)
            probs = q @ k.transpose(0, 2, 1)
            probs *= 1.0 / math.sqrt(hd)
            probs -= probs.max(axis=-1, keepdims=True)
            np.exp(probs, out=probs)
            probs /= probs.sum(axis=-1, keepdims=True)
            ctx = (probs @ v).transpose(1, 0, 2).reshape(n, dim)
        with part("matmul"):
            out = ctx @ ly["ao"][0]
        with part("layernorm"):
            x = e5_numpy._layer_norm(out + ly["ao"][1] + x, *ly["aln"], eps)
        with part("matmul"):
            h = x @ ly["fi"][0]
        with part("gelu"):
            h += ly["fi"][1]
            h = e5_numpy._gelu(h)
        with part("matmul"):
            out = h @ ly["fo"][0]
        with part("layernorm"):
            x = e5_numpy._layer_norm(out + ly["fo"][1] + x, *ly["oln"], eps)


def main() -> None:
    model = load_embedder(engine="numpy")._model
    lines = open("eval/gold.jsonl", encoding="utf-8")
    questions = ["query: " + json.loads(line)["question"] for line in lines]
    ids = [model.token_ids(q) for q in questions]
    print(f"{len(ids)} gold questions, median {statistics.median(len(i) for i in ids)} tokens")
    for rnd in range(2):
        PARTS.clear()
        for i in ids:
            timed_forward(model, i)
    total = sum(PARTS.values())
    for name, seconds in sorted(PARTS.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<10} {seconds * 1000 / len(ids):6.2f} ms a query ({seconds / total:.0%})")
    times: dict[int, list[float]] = {1: [], 2: []}
    for _ in range(3):
        for threads in times:
            with threadpool_limits(threads, user_api="blas"):
                for i in ids:
                    start = time.perf_counter()
                    model._forward(i)
                    times[threads].append((time.perf_counter() - start) * 1000)
    for threads, ms in times.items():
        print(f"whole encoding, {threads} BLAS thread(s): p50 {statistics.median(ms):.1f} ms, "
              f"p95 {np.percentile(ms, 95):.1f} ms")


if __name__ == "__main__":
    main()
