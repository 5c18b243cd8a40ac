"""The passage store behind a narrow interface: FAISS + bm25s in this process, or Milvus.

``VectorStore`` is what the retriever uses: dense search, stored vectors and a BM25 ranking
(``lexical``). ``FaissStore`` keeps the vectors in ``vectors.faiss`` in the index folder (the
default); ``qa.milvus_store.MilvusStore`` keeps them, with the passages' BM25 sparse vectors, in
a Milvus collection. Which one an index uses is in its manifest (``record()``); ``QA_STORE`` or
``qa index --store`` chooses it for a new build, and a mismatch at load is refused.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Protocol

import numpy as np

from qa.config import Config, check_store
from qa.errors import IndexLoadError, StoreError
from qa.lexical import LocalBm25

_READ_LOCK = threading.Lock()  # the FAISS size limit set around a read is process-wide


class Lexical(Protocol):
    vocab: set[str]

    def top(self, matched: list[str], n: int) -> list[tuple[int, float]]: ...


class VectorStore(Protocol):
    kind: str
    dim: int

    def __len__(self) -> int: ...
    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]: ...
    def vector(self, i: int) -> np.ndarray: ...
    def vectors(self) -> np.ndarray: ...
    def lexical(self, doc_terms: list[list[str]]) -> Lexical: ...
    def save(self, folder: Path) -> None: ...
    def record(self) -> dict: ...
    def discard(self) -> None: ...  # the build using it failed
    def retire(self) -> None: ...  # the build using it is in place
    def close(self) -> None: ...


class FaissStore:
    """Normalised vectors in an ``IndexFlatIP``: inner product = cosine. No pickle."""

    FILE = "vectors.faiss"
    kind = "faiss"

    def __init__(self, index):
        self._index = index

    @classmethod
    def from_vectors(cls, vectors: np.ndarray) -> FaissStore:
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        index = faiss.IndexFlatIP(vectors.shape[1])
        index.add(vectors)
        return cls(index)

    @classmethod
    def load(cls, folder: Path) -> FaissStore:
        import faiss

        path = Path(folder) / cls.FILE
        if not path.is_file():
            raise StoreError(f"{path} is missing")
        # A corrupt length field must not make FAISS allocate gigabytes before the read
        # fails: no vector in the file can be larger than the file.
        limit = faiss.get_deserialization_vector_byte_limit()
        with _READ_LOCK:
            faiss.set_deserialization_vector_byte_limit(max(path.stat().st_size, 1))
            try:
                return cls(faiss.read_index(str(path)))
            except (RuntimeError, MemoryError) as exc:
                first = (str(exc).splitlines() or [type(exc).__name__])[0][:120]
                raise StoreError(f"{path} is truncated or corrupt ({first})") from exc
            finally:
                faiss.set_deserialization_vector_byte_limit(limit)

    @property
    def dim(self) -> int:
        return self._index.d

    def __len__(self) -> int:
        return self._index.ntotal

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        k = min(k, len(self))
        if k <= 0:
            return []
        scores, ids = self._index.search(np.asarray(query, dtype=np.float32).reshape(1, -1), k)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def vector(self, i: int) -> np.ndarray:
        return self._index.reconstruct(int(i))

    def vectors(self) -> np.ndarray:
        """All stored vectors, in order (for an incremental rebuild)."""
        if len(self) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._index.reconstruct_n(0, len(self))

    def save(self, folder: Path) -> None:
        import faiss

        # Written by Python, not faiss.write_index, which only prints a failed close
        # (a full disk) to stderr and leaves a truncated file behind: this raises OSError.
        (Path(folder) / self.FILE).write_bytes(faiss.serialize_index(self._index).tobytes())

    def lexical(self, doc_terms: list[list[str]]) -> LocalBm25:
        return LocalBm25(doc_terms)

    def record(self) -> dict:
        return {"kind": self.kind}

    def discard(self) -> None:
        pass

    def retire(self) -> None:
        pass

    def close(self) -> None:
        pass


def build_store(requested: str | None, previous: dict | None, index_dir: Path, passages, p_terms,
                vectors: np.ndarray) -> VectorStore:
    """The store of a new build: ``requested`` (``--store``), else QA_STORE, else the previous
    index's, else FAISS."""
    kind = check_store(requested or Config.from_env().store or (previous or {}).get("kind") or "faiss")
    if kind == "milvus":
        from qa.milvus_store import MilvusStore, milvus_settings

        return MilvusStore.create(milvus_settings(index_dir), passages, p_terms, vectors, previous)
    return FaissStore.from_vectors(vectors)


def open_store(index_dir: Path, record: dict, dim: int, n: int) -> VectorStore:
    """The store an index's manifest names; refused when QA_STORE asks for another."""
    kind = str(record.get("kind", "faiss"))
    wanted = Config.from_env().store
    if wanted and check_store(wanted) != kind:
        raise IndexLoadError(f"the index at {index_dir} is in the {kind} store, but QA_STORE={wanted}: "
                             f"unset QA_STORE, or rebuild with `qa index --store {wanted}`")
    if kind == "milvus":
        from qa.milvus_store import MilvusStore

        return MilvusStore.open(index_dir, record, dim, n)
    if kind != "faiss":
        raise IndexLoadError(f"the index at {index_dir} names an unknown store {kind!r}: "
                             "rebuild with `qa index`")
    try:
        return FaissStore.load(index_dir)
    except StoreError as exc:
        raise IndexLoadError(f"{exc}: rebuild with `qa index`") from exc
