"""Term statistics of the indexed passages: the Lucene BM25 idf of each Sudachi term."""

from __future__ import annotations

import math
from collections import Counter


def lucene_idf(doc_terms: list[list[str]]) -> dict[str, float]:
    """Lucene's BM25 idf, ``log(1 + (N - df + 0.5) / (df + 0.5))``, for every term (always > 0)."""
    df = Counter(t for doc in doc_terms for t in set(doc))
    n = len(doc_terms)
    return {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
