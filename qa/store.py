"""The dense vector store behind a narrow interface (FAISS here).

A larger deployment can swap in a server-based store by implementing ``VectorStore``;
the retriever, chain and UI only use these methods.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Protocol

import numpy as np

from qa.errors import StoreError

_READ_LOCK = threading.Lock()  # the FAISS size limit set around a read is process-wide


class VectorStore(Protocol):
    def __len__(self) -> int: ...
    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]: ...
    def vector(self, i: int) -> np.ndarray: ...
    def save(self, folder: Path) -> None: ...


class FaissStore:
    """Normalised vectors in an ``IndexFlatIP``: inner product = cosine. No pickle."""

    FILE = "vectors.faiss"

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
