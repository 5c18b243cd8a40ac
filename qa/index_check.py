"""Whether an embedding engine may search a loaded index: same weights, same dimension, and
the same vector for an indexed passage (an engine cannot merely claim the right fingerprint)."""

from __future__ import annotations

import numpy as np

from qa.chunking import embedding_text
from qa.errors import IndexLoadError
from qa.indexing import Index

MIN_COSINE = 0.999  # an engine must re-encode an indexed passage at least this close


def check_vectors(index: Index, embedder) -> None:
    """Refuse to search with a model whose weights differ from the index's, or with an engine
    whose vectors do not match it: the shortest indexed passage is re-encoded and must have a
    cosine of at least ``MIN_COSINE`` with its stored vector."""
    if embedder.fingerprint() != index.manifest.model_fingerprint:
        raise IndexLoadError(
            f"the embedding model's weights ({embedder.fingerprint()}) differ from those the index "
            f"was built with ({index.manifest.model_fingerprint}). Rebuild with `qa index`"
        )
    if embedder.dim != index.manifest.dim:
        raise IndexLoadError(f"model dimension {embedder.dim} != index dimension {index.manifest.dim}")
    if not index.passages:
        return
    i = min(range(len(index.passages)), key=lambda j: len(index.passages[j].text))
    vec = embedder.encode_passages([embedding_text(index.passages[i])])[0]
    cos = float(np.dot(vec, index.store.vector(i)))
    if not cos >= MIN_COSINE:
        engine = getattr(embedder, "engine", type(embedder).__name__)
        raise IndexLoadError(
            f"the {engine} engine encodes the index's passage {index.passages[i].id} differently "
            f"(cosine {cos:.4f} < {MIN_COSINE}): set QA_QUERY_ENGINE=sentence-transformers, "
            "or rebuild with `qa index`"
        )
